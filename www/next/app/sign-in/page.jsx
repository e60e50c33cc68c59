// NEXT_PUBLIC_CLERK_SIGN_IN_URL: where auth.protect() sends a signed-out visitor (the form is
// in the layout's header, shown while signed out).
export default function SignInPage() {
  return <h1 data-testid="sign-in-page">Sign in to continue</h1>;
}
