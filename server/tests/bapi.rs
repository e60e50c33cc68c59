//! Backend API over real HTTP, and persistence across restarts.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_requires_the_secret_key() {
    let t = TestServer::start().await;
    let http = reqwest::Client::new();
    let r = http.get(t.url("/v1/sessions")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "authorization_header_missing");
    assert!(body["errors"][0]["long_message"].is_string());
    for path in ["/v1/sessions", "/v1/users", "/v1/jwks", "/v1/jwt_templates"] {
        let r = http.get(t.url(path)).bearer_auth("sk_test_wrong").send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "authentication_invalid");
    }
    let r = http.post(t.url("/v1/sessions/sess_x/revoke")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // The JWKS alone is public.
    let r = http.get(t.url("/v1/jwks")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_endpoints_and_pagination() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let bob = t.seeded.bob_id.clone();

    // Create three sessions (newest last).
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = api.post("/v1/sessions", Some(json!({"user_id": bob}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.content_type, "application/json");
        assert_eq!(r.body["object"], "session");
        assert_eq!(r.body["status"], "active");
        for k in ["client_id", "user_id", "last_active_at", "expire_at", "abandon_at", "created_at", "updated_at"] {
            assert!(!r.body[k].is_null(), "{k}");
        }
        assert!(r.body.get("last_active_organization_id").is_some() && r.body.get("actor").is_some());
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let r = api.post("/v1/sessions", Some(json!({"user_id": "user_missing"}))).await;
    assert_eq!(r.status, 404);
    let r = api.post("/v1/sessions", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"));

    // Limits.
    for bad in ["0", "501", "-1", "ten"] {
        let r = api.get(&format!("/v1/sessions?user_id={bob}&limit={bad}")).await;
        assert_eq!(r.status, 422, "limit={bad}");
        assert_eq!(r.code(), "form_param_value_invalid");
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], "limit");
    }
    let r = api.get(&format!("/v1/sessions?user_id={bob}&offset=-1")).await;
    assert_eq!(r.status, 422);
    let r = api.get(&format!("/v1/sessions?user_id={bob}&limit=1")).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["id"], ids[2].as_str(), "newest first");
    let r = api.get(&format!("/v1/sessions?user_id={bob}&limit=500")).await;
    let all: Vec<&str> = r.body.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(all, vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    let r = api.get(&format!("/v1/sessions?user_id={bob}")).await; // default limit 10
    assert_eq!(r.body.as_array().unwrap().len(), 3);
    let r = api.get(&format!("/v1/sessions?user_id={bob}&limit=2&offset=1")).await;
    assert_eq!(r.body[0]["id"], ids[1].as_str());
    let r = api.get(&format!("/v1/sessions?user_id={bob}&offset=3")).await;
    assert_eq!(r.body, json!([]));
    let r = api.get(&format!("/v1/sessions?user_id={bob}&offset=1000&limit=10")).await;
    assert_eq!(r.body, json!([]));
    // paginated=true → {data, total_count}; unknown params ignored.
    let r = api.get(&format!("/v1/sessions?user_id={bob}&limit=2&paginated=true&foo=bar")).await;
    assert_eq!(r.body["total_count"], 3);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
    let client = api.get(&format!("/v1/sessions/{}", ids[0])).await.body["client_id"].as_str().unwrap().to_owned();
    let r = api.get(&format!("/v1/sessions?client_id={client}&paginated=true")).await;
    assert_eq!(r.body["total_count"], 1);
    let r = api.get(&format!("/v1/sessions?user_id={bob}&status=bogus")).await;
    assert_eq!(r.status, 422);

    // Tokens: empty JSON body, `{}`, and expires_in_seconds.
    let r = api.post(&format!("/v1/sessions/{}/tokens", ids[0]), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.body["object"], "token");
    let claims = verify(&t, r.body["jwt"].as_str().unwrap(), &[]).unwrap();
    assert_eq!(claims.sid.as_deref(), Some(ids[0].as_str()));
    assert_eq!(claims.azp, None);
    let r = api.post(&format!("/v1/sessions/{}/tokens", ids[0]), Some(json!({}))).await;
    assert_eq!(r.status, 200);
    let r = api.post(&format!("/v1/sessions/{}/tokens", ids[0]), Some(json!({"expires_in_seconds": 120}))).await;
    let c = verify(&t, r.body["jwt"].as_str().unwrap(), &[]).unwrap();
    assert_eq!(c.exp - c.iat, 120);
    let r = api.post(&format!("/v1/sessions/{}/tokens/demo", ids[0]), None).await;
    assert_eq!(jwt_part(r.body["jwt"].as_str().unwrap(), 1)["email"], "bob@example.com");
    let r = api.post(&format!("/v1/sessions/{}/tokens/demo", ids[0]), Some(json!({"expires_in_seconds": 45}))).await;
    let c = jwt_part(r.body["jwt"].as_str().unwrap(), 1);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 45);
    let r = api.post(&format!("/v1/sessions/{}/tokens", ids[0]), Some(json!({"expires_in_seconds": "x"}))).await;
    assert_eq!(r.status, 400);

    // Verify (deprecated) with a token of that session.
    let tok = api.post(&format!("/v1/sessions/{}/tokens", ids[1]), None).await.body["jwt"].as_str().unwrap().to_owned();
    let r = api.post(&format!("/v1/sessions/{}/verify", ids[1]), Some(json!({"token": tok}))).await;
    assert_eq!((r.status.as_u16(), r.body["id"].as_str()), (200, Some(ids[1].as_str())));
    let r = api.post(&format!("/v1/sessions/{}/verify", ids[0]), Some(json!({"token": tok}))).await;
    assert_eq!(r.status, 400);

    // Revoke: status revoked, no more tokens, status filter sees it.
    let r = api.post(&format!("/v1/sessions/{}/revoke", ids[1]), None).await;
    assert_eq!(r.body["status"], "revoked");
    let r = api.post(&format!("/v1/sessions/{}/tokens", ids[1]), None).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "session_not_active"));
    let r = api.get(&format!("/v1/sessions?user_id={bob}&status=revoked&paginated=true")).await;
    assert_eq!(r.body["total_count"], 1);
    let r = api.get(&format!("/v1/sessions?user_id={bob}&status=active")).await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    let r = api.get("/v1/sessions/sess_missing").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"));
    // Python's revoke: no body, no content-type.
    let r = api.http.post(t.url(&format!("/v1/sessions/{}/revoke", ids[2]))).bearer_auth(t.sk()).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Impersonation: the actor becomes the `act` claim.
    let r = api.post("/v1/sessions", Some(json!({"user_id": bob, "actor": {"sub": t.seeded.alice_id}}))).await;
    assert_eq!(r.body["actor"]["sub"], t.seeded.alice_id.as_str());
    let act = api.post(&format!("/v1/sessions/{}/tokens", r.body["id"].as_str().unwrap()), None).await;
    let c = verify(&t, act.body["jwt"].as_str().unwrap(), &[]).unwrap();
    assert_eq!(c.act.unwrap()["sub"], t.seeded.alice_id.as_str());
    assert_eq!(api.post("/v1/sessions", Some(json!({"user_id": bob, "actor": "x"}))).await.status, 422);

    // JWKS.
    let r = api.get("/v1/jwks").await;
    let k = &r.body["keys"][0];
    assert_eq!((k["kty"].as_str(), k["alg"].as_str(), k["use"].as_str()), (Some("RSA"), Some("RS256"), Some("sig")));
    assert_eq!(k["kid"], t.server.state.key.kid());
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_jwt_templates() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let r = api
        .post("/v1/users", Some(json!({"email_address": ["dave@example.com"], "password": "dave-password-1", "first_name": "Dave"})))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["object"], "user");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = api.post("/v1/users", Some(json!({"email_address": ["dave@example.com"]}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_exists"));
    assert_eq!(api.get(&format!("/v1/users/{id}")).await.body["first_name"], "Dave");
    let list = api.get("/v1/users").await.body;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(api.get("/v1/users?email_address=dave@example.com").await.body[0]["id"], id.as_str());
    assert_eq!(api.get("/v1/users?limit=0").await.status, 422);

    let r = api.post("/v1/jwt_templates", Some(json!({"name": "t2", "claims": {"uid": "{{user.id}}"}, "lifetime": 90}))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["object"], "jwt_template");
    let r = api.get("/v1/jwt_templates").await;
    assert_eq!(r.body["total_count"], 2);
    let s = api.post("/v1/sessions", Some(json!({"user_id": id}))).await.body["id"].as_str().unwrap().to_owned();
    let r = api.post(&format!("/v1/sessions/{s}/tokens/t2"), None).await;
    let c = jwt_part(r.body["jwt"].as_str().unwrap(), 1);
    assert_eq!(c["uid"], id.as_str());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 90);

    // Organizations and memberships.
    let r = api.post("/v1/organizations", Some(json!({"name": "Globex", "created_by": id}))).await;
    assert_eq!(r.body["slug"], "globex");
    let org = r.body["id"].as_str().unwrap().to_owned();
    let r =
        api.post(&format!("/v1/organizations/{org}/memberships"), Some(json!({"user_id": t.seeded.bob_id, "role": "org:member"}))).await;
    assert_eq!(r.body["role"], "org:member");
    assert_eq!(r.body["organization"]["members_count"], 2);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_users_sessions_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::db_in(&dir, "clerk.db");
    let server = clerk_server::start(config(db.clone(), 60)).await.unwrap();
    let store = server.state.store.clone();
    tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();
    let sk = server.state.secret_key.clone();
    let kid = server.state.key.kid().to_owned();
    let pem = server.state.public_key_pem.clone();
    let b = Browser::new(server.url(), Some(ORIGIN));
    let sid = b.sign_in("bob@example.com").await;
    let old_token = b.token(&sid, &[]).await;
    server.stop().await;

    // Same database, new process state, new port.
    let server = clerk_server::start(config(db.clone(), 60)).await.unwrap();
    assert_eq!(server.state.secret_key, sk);
    assert_eq!(server.state.key.kid(), kid);
    assert_eq!(server.state.public_key_pem, pem);
    let key = server.state.key.public_key();
    let claims = clerk_token::verify_and_validate(&old_token, &key, &Default::default()).expect("old token still verifies");
    assert_eq!(claims.sid.as_deref(), Some(sid.as_str()));
    // The browser's cookie (scoped to 127.0.0.1) still identifies the client.
    let b2 = Browser { base: server.url(), ..b };
    let c = b2.get("/v1/client").await;
    assert_eq!(c.body["response"]["last_active_session_id"], sid.as_str(), "{:?}", c.body);
    b2.token(&sid, &[]).await;
    let api = Bapi { http: reqwest::Client::new(), base: server.url(), key: sk };
    assert_eq!(api.get(&format!("/v1/sessions/{sid}")).await.body["status"], "active");
    assert_eq!(api.get("/v1/users").await.body.as_array().unwrap().len(), 2);
    // Seeding again is idempotent.
    let store = server.state.store.clone();
    tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();
    assert_eq!(api.get("/v1/users").await.body.as_array().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clerk_backend_sdk_works_against_the_server() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let modules = root.join("../tests/js/node_modules/@clerk/backend");
    if std::process::Command::new("node").arg("--version").output().is_err() || !modules.exists() {
        eprintln!("SKIP: node or tests/js/node_modules/@clerk/backend missing (run .ci/setup)");
        return;
    }
    let t = TestServer::start().await;
    let script = root.join("tests/backend_sdk.mjs");
    let args = [script.display().to_string(), t.server.url(), t.sk(), t.seeded.bob_id.clone()];
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("node").args(&args).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().filter(|l| l.contains("\"ok\":true")).count(), 10, "{stdout}");
    t.server.stop().await;
}
