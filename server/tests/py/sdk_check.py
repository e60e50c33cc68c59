"""Clerk's Python Backend SDK (clerk-backend-api 7.0) against clerk-server, unchanged.

Usage: sdk_check.py BASE_URL SECRET_KEY USER_ID SESSION_TOKEN_JWT
Prints one JSON object of observations for the Rust test to assert on.
"""
import json
import sys

from clerk_backend_api import Clerk
from clerk_backend_api.security.types import VerifyTokenOptions
from clerk_backend_api.security import verify_token

base, secret, user_id, _ = sys.argv[1:5]
out = {}
with Clerk(bearer_auth=secret, server_url=f"{base}/v1") as clerk:
    created = clerk.sessions.create(request={"user_id": user_id})
    out["created"] = [created.object, created.status, created.user_id == user_id]
    listed = clerk.sessions.list(user_id=user_id, limit=500)
    out["listed"] = created.id in [s.id for s in listed]
    got = clerk.sessions.get(session_id=created.id)
    out["got"] = got.id == created.id
    token = clerk.sessions.create_token(session_id=created.id)
    out["token"] = token.object
    templated = clerk.sessions.create_token_from_template(session_id=created.id, template_name="demo")
    out["template_token"] = isinstance(templated.jwt, str) and templated.jwt.count(".") == 2
    jwks = clerk.jwks.get_jwks()
    out["jwks"] = [k.kty for k in jwks.keys]
    payload = verify_token(token.jwt, VerifyTokenOptions(secret_key=secret, api_url=base))
    out["verified_sid"] = payload.get("sid") == created.id
    revoked = clerk.sessions.revoke(session_id=created.id)
    out["revoked"] = revoked.status
    try:
        clerk.sessions.get(session_id="sess_does_not_exist")
        out["missing"] = "no error"
    except Exception as e:  # the SDK's typed ClerkErrors
        out["missing"] = [type(e).__name__, e.data.errors[0].code if hasattr(e, "data") else str(e)]
    try:
        clerk.sessions.list(limit=10)
        out["list_without_filter"] = "no error"
    except Exception as e:  # 400 since the 2024-01-01 deprecation: client_id or user_id is required
        out["list_without_filter"] = [type(e).__name__, e.data.errors[0].code if hasattr(e, "data") else str(e)]
print(json.dumps(out))
