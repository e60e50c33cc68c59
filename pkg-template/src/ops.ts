// The engine's operation numbers: its `Call` and `Query` enums (src/engine/ops.rs). Alone in
// this file (esbuild inlines them), so a lazy chunk can name them without importing engine.ts.

export const enum Call {
  Load, SetActive, SignOut, GetToken, EndSession, RemoveSession, TouchSession, VerifySession,
  CreateClient, DestroyClient, ReloadClient, RemoveSessions, SignIn, SignUp, Resource,
}

export const enum Query {
  Snapshot, CheckAuthorization, BuildTouchUrl, IsEligibleForTouch, IsNew, ResetSignIn, ResetSignUp,
  ClearCache, Info, TokenClaims, Attempt, SettingEnabled, Component, Environment, UrlWithAuth,
}
