// `clerk.environment` as clerk-js shapes it (its Environment, DisplayConfig, UserSettings, …
// classes), which Clerk's prebuilt UI (@clerk/ui) reads: the Frontend API's environment with
// clerk-js's names, its defaults where the server says nothing, and its computed getters. Made
// once per environment the engine loaded; every value is the server's.

import { view } from './convert';

type Raw = Record<string, any>;

const DISABLED = { enabled: false, first_factors: [], required: false, second_factors: [], used_for_first_factor: false, used_for_second_factor: false, verifications: [], verify_at_sign_up: false };
const STRINGS =
  'afterCreateOrganizationUrl afterJoinWaitlistUrl afterLeaveOrganizationUrl afterSignInUrl afterSignOutAllUrl afterSignOutOneUrl afterSignOutUrl afterSignUpUrl afterSwitchSessionUrl applicationName backendHost createOrganizationUrl faviconImageUrl homeUrl id instanceEnvironmentType logoImageUrl organizationProfileUrl privacyPolicyUrl signInUrl signUpUrl supportEmail termsUrl userProfileUrl waitlistUrl';
const clamp = (s: Raw | undefined, min: number, max: number) =>
  s && { ...s, min_length: Math.max(s.min_length ?? min, min), max_length: s.max_length ? Math.min(s.max_length, max) : max };

/** clerk-js's UserSettings: top-level names in camelCase, the server's snake_case inside. */
class UserSettings {
  [key: string]: any;
  constructor(u: Raw) {
    // The server's attributes (in its order), else clerk-js's defaults.
    const attributes: Raw = {};
    const given = u.attributes ?? Object.fromEntries(
      'email_address phone_number username web3_wallet first_name last_name password authenticator_app backup_code passkey'.split(' ').map((n) => [n, DISABLED]),
    );
    for (const [name, a] of Object.entries(given)) attributes[name] = { ...(a as Raw), name };
    Object.assign(this, {
      id: undefined,
      attributes,
      actions: u.actions ?? { create_organization: false, delete_self: false },
      attackProtection: { enumeration_protection: { enabled: !!u.attack_protection?.enumeration_protection?.enabled } },
      enterpriseSSO: u.enterprise_sso ?? { enabled: false, self_serve_sso: false },
      passkeySettings: u.passkey_settings ?? { allow_autofill: false, show_sign_in_button: false },
      passwordSettings: clamp(u.password_settings, 8, 72) ?? {},
      signIn: u.sign_in ?? { second_factor: { required: false, enabled: false } },
      signUp: u.sign_up ?? { allowlist_only: false, captcha_enabled: false, legal_consent_enabled: false, mode: 'public', progressive: true, mfa: { required: false } },
      social: u.social ?? {},
      usernameSettings: clamp(u.username_settings, 4, 64) ?? {},
    });
  }
  #attributes(first: boolean, web3: boolean) {
    return Object.entries(this.attributes as Raw).filter(([name, a]) => a.used_for_first_factor === first && name.startsWith('web3') === web3);
  }
  #social(authenticatable: boolean) {
    return Object.values(this.social as Raw).filter((s: Raw) => s.enabled && (!authenticatable || s.authenticatable)).map((s: Raw) => s.strategy).sort();
  }
  get enabledFirstFactorIdentifiers(): string[] {
    return this.#attributes(true, false).map(([name]) => name);
  }
  get web3FirstFactors(): string[] {
    return this.#attributes(true, true).flatMap(([, a]) => a.first_factors);
  }
  get authenticatableSocialStrategies(): string[] {
    return this.#social(true);
  }
  get socialProviderStrategies(): string[] {
    return this.#social(false);
  }
  get alternativePhoneCodeChannels(): string[] {
    const phone = this.attributes.phone_number;
    return phone?.used_for_first_factor ? (phone.channels ?? []).filter((c: string) => c !== 'sms') : [];
  }
  get instanceIsPasswordBased(): boolean {
    return !!this.attributes.password?.enabled;
  }
  get hasValidAuthFactor(): boolean {
    const a = this.attributes;
    return !!(a.email_address?.enabled || a.phone_number?.enabled || (a.password?.required && a.username?.required));
  }
}

export interface Environment {
  authConfig: Raw;
  displayConfig: Raw;
  userSettings: UserSettings;
  organizationSettings: Raw;
  commerceSettings: Raw;
  apiKeysSettings: Raw;
  protectConfig: Raw;
  maintenanceMode: boolean;
  clientDebugMode: boolean;
  partitionedCookies: boolean;
  isDevelopmentOrStaging(): boolean;
  isProduction(): boolean;
  isSingleSession(): boolean;
  onWindowLocationHost(): boolean;
  [key: string]: unknown;
}

/** The environment `raw` (as the Frontend API sent it) shaped as clerk-js's Environment. */
export function environmentOf(raw: Raw | null): Environment | null {
  if (!raw) return null;
  const d = view(raw.display_config) ?? {};
  const displayConfig: Raw = {
    branded: false,
    captchaHeartbeat: false,
    captchaOauthBypass: ['oauth_google', 'oauth_microsoft', 'oauth_apple'],
    captchaProvider: 'turnstile',
    captchaPublicKey: null,
    captchaPublicKeyInvisible: null,
    captchaWidgetType: null,
    preferredSignInStrategy: 'password',
    showDevModeWarning: !!d.showDevmodeWarning,
    theme: {},
    clerkJSVersion: d.clerkJsVersion,
  };
  for (const key of STRINGS.split(' ')) displayConfig[key] = '';
  Object.assign(displayConfig, d);
  const o = view(raw.organization_settings) ?? {};
  const b = view(raw.commerce_settings)?.billing ?? {};
  const billing = (k: string) => ({ enabled: !!b[k]?.enabled, hasPaidPlans: !!b[k]?.hasPaidPlans });
  const env: Environment = {
    authConfig: { claimedAt: null, reverification: false, singleSessionMode: false, preferredChannels: null, sessionMinter: false, ...view(raw.auth_config) },
    displayConfig,
    userSettings: new UserSettings(raw.user_settings ?? {}),
    organizationSettings: {
      enabled: false,
      maxAllowedMemberships: 1,
      ...o,
      actions: { adminDelete: !!o.actions?.adminDelete },
      domains: { enabled: false, enrollmentModes: [], defaultRole: null, ...o.domains },
      slug: { disabled: !!o.slug?.disabled },
      organizationCreationDefaults: { enabled: !!o.organizationCreationDefaults?.enabled },
    },
    commerceSettings: { billing: { stripePublishableKey: b.stripePublishableKey ?? null, organization: billing('organization'), user: billing('user') } },
    apiKeysSettings: { enabled: false, ...view(raw.api_keys_settings) },
    protectConfig: view(raw.protect_config) ?? {},
    maintenanceMode: !!raw.maintenance_mode,
    clientDebugMode: !!raw.client_debug_mode,
    partitionedCookies: !!raw.partitioned_cookies,
    // Arrow functions, as clerk-js's: the UI calls them unbound.
    isProduction: () => displayConfig.instanceEnvironmentType === 'production',
    isDevelopmentOrStaging: () => !env.isProduction(),
    isSingleSession: () => !!env.authConfig.singleSessionMode,
    onWindowLocationHost: () => displayConfig.backendHost === location.host,
  };
  return env;
}
