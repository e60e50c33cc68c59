// What `account/user-steps.js` must return, on clerk-js 6.40 and on clerk-rs alike: the values a
// user of the library sees after each step on clerk-server, with Clerk's error codes, statuses
// and `meta.paramName`s. `{ $undefined: true }` stands for undefined (the page's results travel
// as JSON with undefined tagged apart from null). `account-user.mjs` compares each step with
// isDeepStrictEqual.
export const expected = {
  "initial": {
    "signedIn": "string",
    "passwordEnabled": true,
    "twoFactorEnabled": false,
    "totpEnabled": false,
    "backupCodeEnabled": false,
    "createOrganizationEnabled": true,
    "createOrganizationsLimit": null,
    "deleteSelfEnabled": true,
    "hasImage": false,
    "imageUrl": "",
    "unsafeMetadata": {},
    "publicMetadata": {},
    "primaryEmail": "ada@example.com",
    "emails": 1
  },
  "update": {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "fullName": "Ada Lovelace",
    "username": "ada_lovelace",
    "onClerk": "Ada"
  },
  "bapiAfterUpdate": {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "username": "ada_lovelace"
  },
  "badUpdates": {
    "longFirstName": {
      "refused": true,
      "status": 422,
      "code": "form_param_max_length_exceeded",
      "paramName": "first_name",
      "isClerkError": true
    },
    "longLastName": {
      "refused": true,
      "status": 422,
      "code": "form_param_max_length_exceeded",
      "paramName": "last_name",
      "isClerkError": true
    },
    "shortUsername": {
      "refused": true,
      "status": 422,
      "code": "form_username_invalid_length",
      "paramName": "username",
      "isClerkError": true
    },
    "usernameCharacters": {
      "refused": true,
      "status": 422,
      "code": "form_username_invalid_character",
      "paramName": "username",
      "isClerkError": true
    },
    "numericUsername": {
      "refused": true,
      "status": 422,
      "code": "form_username_needs_non_number_char",
      "paramName": "username",
      "isClerkError": true
    },
    "takenUsername": {
      "refused": true,
      "status": 422,
      "code": "form_identifier_exists",
      "paramName": "username",
      "isClerkError": true
    },
    "unknownPrimaryEmail": {
      "refused": true,
      "status": 422,
      "code": "form_resource_not_found",
      "paramName": "primary_email_address_id",
      "isClerkError": true
    }
  },
  "afterBadUpdates": {
    "firstName": "Ada",
    "username": "ada_lovelace"
  },
  "metadata": {
    "replaced": {
      "nested": {
        "a": 1,
        "b": 2
      },
      "theme": "dark"
    },
    "merged": {
      "lang": "fr",
      "nested": {
        "b": 2,
        "c": 3
      },
      "theme": "dark"
    },
    "replacedAgain": {
      "only": true
    }
  },
  "emails": {
    "badFormat": {
      "refused": true,
      "status": 422,
      "code": "form_param_format_invalid",
      "paramName": "email_address",
      "isClerkError": true
    },
    "taken": {
      "refused": true,
      "status": 422,
      "code": "form_identifier_exists",
      "paramName": "email_address",
      "isClerkError": true
    },
    "created": {
      "emailAddress": "second@example.com",
      "verification": {
        "status": null,
        "strategy": null,
        "attempts": null
      }
    },
    "attemptUnprepared": {
      "refused": true,
      "status": 422,
      "code": "verification_missing",
      "paramName": "code",
      "isClerkError": true
    },
    "unverifiedPrimary": {
      "refused": true,
      "status": 422,
      "code": "form_verification_needed",
      "paramName": "primary_email_address_id",
      "isClerkError": true
    },
    "prepared": {
      "status": "unverified",
      "strategy": "email_code",
      "attempts": 0
    },
    "wrongCode": {
      "refused": true,
      "status": 422,
      "code": "form_code_incorrect",
      "paramName": "code",
      "isClerkError": true
    },
    "verified": {
      "status": "verified",
      "strategy": "email_code",
      "attempts": null
    },
    "replayed": {
      "refused": true,
      "status": 422,
      "code": "verification_already_verified",
      "paramName": "code",
      "isClerkError": true
    },
    "primary": "second@example.com",
    "afterDelete": [
      "second@example.com"
    ],
    "deleteLast": {
      "refused": true,
      "status": 422,
      "code": "last_required_identification_deletion_failed",
      "paramName": {
        "$undefined": true
      },
      "isClerkError": true
    },
    "link": {
      "landed": "verified",
      "verification": "verified",
      "strategy": "email_link"
    },
    "final": [
      [
        "linked@example.com",
        "verified"
      ],
      [
        "second@example.com",
        "verified"
      ]
    ]
  },
  "phones": {
    "noCountryCode": {
      "refused": true,
      "status": 422,
      "code": "form_param_format_invalid",
      "paramName": "phone_number",
      "isClerkError": true
    },
    "invalid": {
      "refused": true,
      "status": 422,
      "code": "form_param_format_invalid",
      "paramName": "phone_number",
      "isClerkError": true
    },
    "created": {
      "phoneNumber": "+12015550177",
      "reserved": false,
      "isDefault": false,
      "verification": {
        "status": null,
        "strategy": null,
        "attempts": null
      }
    },
    "reserveUnverified": {
      "refused": true,
      "status": 422,
      "code": "identification_update_second_factor_unverified",
      "paramName": "reserved_for_second_factor",
      "isClerkError": true
    },
    "wrongCode": {
      "refused": true,
      "status": 422,
      "code": "form_code_incorrect",
      "paramName": "code",
      "isClerkError": true
    },
    "verified": {
      "status": "verified",
      "strategy": "phone_code",
      "attempts": null
    },
    "reserved": {
      "reserved": true,
      "isDefault": true,
      "backupCodes": 10
    },
    "madeDefault": true,
    "user": {
      "twoFactorEnabled": true,
      "backupCodeEnabled": true,
      "primary": "+12015550177"
    },
    "signIn": "needs_second_factor",
    "afterDelete": {
      "phones": 0,
      "twoFactorEnabled": false,
      "backupCodeEnabled": false,
      "primary": null
    }
  },
  "sessions": {
    "count": 2,
    "statuses": [
      "active",
      "active"
    ],
    "current": {
      "browserName": "string",
      "isMobile": false,
      "ipAddress": "127.0.0.1",
      "city": null,
      "country": null
    },
    "other": {
      "browserName": "object",
      "isMobile": false,
      "ipAddress": null,
      "city": null,
      "country": null
    },
    "mintBefore": {
      "minted": "string"
    },
    "revoked": "revoked",
    "mintAfter": {
      "status": 401,
      "code": "session_not_active"
    },
    "stillSignedIn": "string"
  },
  "password": {
    "wrongCurrent": {
      "refused": true,
      "status": 422,
      "code": "form_password_incorrect",
      "paramName": "current_password",
      "isClerkError": true
    },
    "tooShort": {
      "refused": true,
      "status": 422,
      "code": "form_password_length_too_short",
      "paramName": "new_password",
      "isClerkError": true
    },
    "sameAsCurrent": {
      "refused": true,
      "status": 422,
      "code": "form_new_password_matches_current",
      "paramName": "new_password",
      "isClerkError": true
    },
    "changed": true,
    "oldSignsIn": "form_password_incorrect",
    "newSignsIn": "complete"
  },
  "totp": {
    "created": {
      "verified": false,
      "secret": "string",
      "uri": true,
      "backupCodes": {
        "$undefined": true
      }
    },
    "wrongCode": {
      "refused": true,
      "status": 422,
      "code": "form_code_incorrect",
      "paramName": "code",
      "isClerkError": true
    },
    "verified": {
      "verified": true,
      "secret": {
        "$undefined": true
      },
      "backupCodes": 10
    },
    "user": {
      "totpEnabled": true,
      "twoFactorEnabled": true,
      "backupCodeEnabled": true
    },
    "again": {
      "refused": true,
      "status": 422,
      "code": "totp_already_enabled",
      "paramName": {
        "$undefined": true
      },
      "isClerkError": true
    },
    "signIn": "needs_second_factor",
    "disabled": {
      "object": "totp",
      "deleted": true,
      "totpEnabled": false,
      "twoFactorEnabled": false
    },
    "signInAfter": "complete"
  },
  "externalAccounts": {
    "badStrategy": {
      "refused": true,
      "status": 422,
      "code": "form_param_value_invalid",
      "paramName": "strategy",
      "isClerkError": true
    },
    "created": {
      "provider": "google",
      "verification": {
        "status": "unverified",
        "strategy": "oauth_google",
        "attempts": null
      },
      "toProvider": true
    },
    "landed": "opaque",
    "linked": [
      {
        "provider": "google",
        "emailAddress": "ada.google@example.com",
        "status": "verified"
      }
    ],
    "reauthorize": {
      "status": "unverified",
      "toProvider": "/oauth/dev/authorize"
    },
    "afterDelete": 0
  },
  "passkeys": {
    "created": {
      "name": "Passkey 1",
      "status": "verified"
    },
    "renamed": "Work laptop",
    "emptyName": {
      "refused": true,
      "status": 422,
      "code": "form_param_missing",
      "paramName": "name",
      "isClerkError": true
    },
    "listed": [
      "Work laptop"
    ],
    "deleted": {
      "object": "passkey",
      "deleted": true
    },
    "after": 0
  },
  "profileImage": {
    "notAnImage": {
      "refused": true,
      "status": 422,
      "code": "form_param_format_invalid",
      "paramName": "file",
      "isClerkError": true
    },
    "image": {
      "publicUrl": "string",
      "served": true
    },
    "user": {
      "hasImage": true,
      "imageUrl": true
    },
    "fetched": {
      "status": 200,
      "type": "image/png",
      "bytes": true
    },
    "removed": {
      "hasImage": false,
      "imageUrl": ""
    }
  },
  "removePassword": {
    "wrongCurrent": {
      "refused": true,
      "status": 422,
      "code": "form_password_incorrect",
      "paramName": "current_password",
      "isClerkError": true
    },
    "removed": false
  },
  "deleted": {
    "user": null,
    "session": null,
    "signedIn": false
  }
};
