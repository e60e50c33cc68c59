// A typed consumer of the public API. Never run: it only has to compile with `tsc --strict` against
// pkg/index.d.ts. The `@ts-expect-error` lines prove the types are precise (not `any`): each must
// be an error, or tsc fails with "Unused '@ts-expect-error' directive".
import Clerk, {
  type ClerkError,
  type Organization,
  type Resources,
  type Session,
  type SignIn,
  type SignUp,
  type User,
  Client,
  Token,
} from 'clerk-rs';

function isClerkError(err: unknown): err is ClerkError {
  return err instanceof Error && (err as Partial<ClerkError>).clerkError === true;
}

/** Error narrowing: `unknown` → ClerkError, then the API error's fields. */
export function describe(err: unknown): string {
  if (isClerkError(err)) {
    const first = err.errors[0];
    const retry: number | undefined = err.retryAfter;
    const status: number | undefined = err.status;
    const kind: 'ClerkAPIResponseError' | 'ClerkError' = err.name;
    return `${err.longMessage ?? err.message} (${err.code}; ${kind} ${status ?? '-'}; retry ${retry ?? '-'}; ${first?.meta ? Object.keys(first.meta).length : 0} meta)`;
  }
  // @ts-expect-error: `err` is unknown here, not any
  return err.message;
}

export async function main(publishableKey: string): Promise<void> {
  const clerk = new Clerk(publishableKey, { proxyUrl: 'http://127.0.0.1:4000' });
  const version: string = clerk.version;
  const instance: 'development' | 'production' = clerk.instanceType;

  // addListener: Resources with undefined (unknown yet) / null (none) / a value.
  const unsubscribe: () => void = clerk.addListener((r: Resources) => {
    if (r.session === undefined) return; // setActive in progress, or before load
    const session: Session | null = r.session;
    const user: User | null | undefined = r.user;
    const org: Organization | null | undefined = r.organization;
    const sessions: Session[] = r.client?.signedInSessions ?? [];
    console.log(session?.id, user?.primaryEmailAddress?.emailAddress, org?.slug, sessions.length, version, instance);
  });

  await clerk.load();
  const client: Client | undefined = clerk.client;
  if (!client) throw new Error('not loaded');

  // Sign in: identifier, then password; a second factor when needed.
  const created: SignIn = await client.signIn.create({ identifier: 'alice@example.com' });
  const emailFactor = created.supportedFirstFactors?.find((f) => f.strategy === 'email_code');
  if (emailFactor?.emailAddressId) {
    await client.signIn.prepareFirstFactor({ strategy: 'email_code', emailAddressId: emailFactor.emailAddressId });
    await client.signIn.attemptFirstFactor({ strategy: 'email_code', code: '123456' });
  }
  let attempt = await client.signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
  if (attempt.status === 'needs_second_factor') {
    attempt = await client.signIn.attemptSecondFactor({ strategy: 'totp', code: '123456' });
  }
  // @ts-expect-error: not a SignInStatus
  if (attempt.status === 'signed_in') return;
  if (attempt.status === 'complete' && attempt.createdSessionId) {
    await clerk.setActive({ session: attempt.createdSessionId });
  }

  // Sign up with email verification.
  const signUp: SignUp = await client.signUp.create({ emailAddress: 'carol@example.com', password: 'carol-password-1' });
  const missing: string[] = signUp.missingFields ?? [];
  await client.signUp.prepareEmailAddressVerification({ strategy: 'email_code' });
  const verified = await client.signUp.attemptEmailAddressVerification({ code: '123456' });
  if (verified.status === 'complete') await clerk.setActive({ session: verified.createdSessionId, beforeEmit: () => console.log(missing) });

  // setActive variants: a Session, an id, null; organizations by object, id/slug, or personal.
  const session = clerk.session;
  if (!session) return;
  await clerk.setActive({ session });
  await clerk.setActive({ session: session.id, organization: 'acme' });
  const org = clerk.user?.organizationMemberships[0]?.organization;
  if (org) await clerk.setActive({ organization: org });
  await clerk.setActive({ organization: null });
  await clerk.setActive({ session: session.id, beforeEmit: async (s: Session | null) => { await Promise.resolve(s?.id); } });

  // getToken options.
  const jwt: string = await session.getToken();
  await session.getToken({ template: 'demo', organizationId: org?.id ?? null, leewayInSeconds: 15, skipCache: true });
  const maybe: string = await session.getToken({ throwOnError: false }); // '' on error, as documented
  const last: Token | null = session.lastActiveToken;
  const sid: unknown = last?.jwt?.claims.sid;
  console.log(jwt?.length, maybe, sid, last?.getRawString());

  // checkAuthorization: role, permission, reverification presets and configs.
  const admin: boolean = session.checkAuthorization({ role: 'org:admin' });
  session.checkAuthorization({ permission: 'org:sys_memberships:manage' });
  session.checkAuthorization({ reverification: 'strict_mfa' });
  session.checkAuthorization({ reverification: { level: 'second_factor', afterMinutes: 10 } });
  const age: [number, number] | null = session.factorVerificationAge;
  console.log(admin, age);

  // Sign out and errors.
  try {
    await session.end();
    await clerk.signOut(() => {}, { sessionId: session.id }); // a callback: stay on this page
    await clerk.signOut(() => {});
  } catch (err) {
    console.error(describe(err));
  }
  unsubscribe();

  // The types are not `any`:
  // @ts-expect-error: skipCache is a boolean
  await session.getToken({ skipCache: 'yes' });
  // @ts-expect-error: no such option
  await session.getToken({ templateName: 'demo' });
  // @ts-expect-error: the key is a string
  new Clerk(42);
  // @ts-expect-error: a session, its id or null
  await clerk.setActive({ session: 123 });
  // @ts-expect-error: the password strategy needs a password
  await client.signIn.attemptFirstFactor({ strategy: 'password' });
  // @ts-expect-error: role is a string
  session.checkAuthorization({ role: 1 });
  // @ts-expect-error: not a reverification preset
  session.checkAuthorization({ reverification: 'sometimes' });
  // @ts-expect-error: user may be null or undefined
  const name: string = clerk.user.firstName;
  // @ts-expect-error: getToken resolves to a string ('' when throwOnError is false), never null
  const s: null = await session.getToken();
  // @ts-expect-error: not a SessionStatus
  if (session.status === 'logged_in') console.log(name, s);
  // @ts-expect-error: read-only
  clerk.session = null;
  // @ts-expect-error: private constructor
  new Client();
}
