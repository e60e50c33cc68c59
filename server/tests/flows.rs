//! Issue 13 over real HTTP: the environment's strategies and their refusal, the development
//! identity provider's security checks (state, PKCE, redirect URI allow-list, single-use
//! codes), OAuth sign-in / sign-up with transfers and failures, and email links.

mod common;

use common::lifecycle::{advance, assert_error, browser_no_redirects, urlencode};
use common::*;
use serde_json::Value;

const CALLBACK: &str = "http://127.0.0.1:3000/sso-callback";

fn location(r: &Resp) -> String {
    assert!(r.status.is_redirection(), "{} {:?}", r.status, r.body);
    r.headers["location"].to_str().unwrap().to_owned()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

/// Starts an OAuth sign-in (`sign_ins`) or sign-up (`sign_ups`); returns the provider URL.
async fn start(b: &Browser, collection: &str, strategy: &str) -> (Value, String) {
    let r = b
        .post(
            &format!("/v1/client/{collection}"),
            &[("strategy", strategy), ("redirect_url", CALLBACK), ("action_complete_redirect_url", "http://127.0.0.1:3000/")],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let resp = r.body["response"].clone();
    let v = if collection == "sign_ins" { &resp["first_factor_verification"] } else { &resp["verifications"]["external_account"] };
    assert_eq!((v["status"].as_str(), v["strategy"].as_str()), (Some("unverified"), Some(strategy)), "{v}");
    let url = v["external_verification_redirect_url"].as_str().unwrap().to_owned();
    (resp, url)
}

/// The consent page's form, submitted with `decision` (and the account for `allow`).
async fn consent(t: &TestServer, authorize_url: &str, decision: &str, email: &str) -> String {
    let b = browser_no_redirects(t);
    let page = b.http.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let mut form: Vec<(String, String)> = query(authorize_url).into_iter().collect();
    form.push(("decision".into(), decision.into()));
    form.push(("email".into(), email.into()));
    let r = into_resp(b.http.post(t.url("/oauth/dev/authorize")).form(&form).send().await.unwrap()).await;
    location(&r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_advertises_strategies_and_disabled_ones_are_refused() {
    let t = TestServer::start().await;
    let env = t.browser().get("/v1/environment").await.body;
    let us = &env["user_settings"];
    assert_eq!(us["attributes"]["email_address"]["first_factors"], serde_json::json!(["email_code", "email_link"]));
    assert_eq!(us["social"]["oauth_google"]["enabled"], true);
    assert_eq!(us["social"]["oauth_google"]["authenticatable"], true);
    assert_eq!(us["social"]["oauth_github"]["strategy"], "oauth_github");
    t.server.stop().await;

    let t = TestServer::start_with(|c| c.strategies = Some(vec!["password".into(), "email_code".into(), "totp".into()])).await;
    let b = t.browser();
    let env = b.get("/v1/environment").await.body;
    let us = &env["user_settings"];
    assert_eq!(us["attributes"]["email_address"]["first_factors"], serde_json::json!(["email_code"]));
    assert_eq!(us["social"]["oauth_google"]["enabled"], false);
    let r = b.post("/v1/client/sign_ins", &[("strategy", "oauth_google"), ("redirect_url", CALLBACK)]).await;
    assert_error(&r, 422, "form_param_value_invalid");
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "strategy");
    assert_eq!(r.body["errors"][0]["long_message"], "oauth_google does not match one of the allowed values for parameter strategy");
    let r = b.post("/v1/client/sign_ups", &[("strategy", "oauth_github"), ("redirect_url", CALLBACK)]).await;
    assert_error(&r, 422, "form_param_value_invalid");
    let si = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com")]).await.body["response"].clone();
    let factors: Vec<&str> = si["supported_first_factors"].as_array().unwrap().iter().map(|f| f["strategy"].as_str().unwrap()).collect();
    assert_eq!(factors, ["password", "email_code"]);
    let id = si["id"].as_str().unwrap();
    let r =
        b.post(&format!("/v1/client/sign_ins/{id}/prepare_first_factor"), &[("strategy", "email_link"), ("redirect_url", CALLBACK)]).await;
    assert_error(&r, 422, "form_param_value_invalid");
    let r = b.post(&format!("/v1/client/sign_ins/{id}/attempt_first_factor"), &[("strategy", "phone_code"), ("code", "123456")]).await;
    assert_error(&r, 422, "form_param_value_invalid");
    // What is enabled still works.
    let r = b.post(&format!("/v1/client/sign_ins/{id}/attempt_first_factor"), &[("strategy", "password"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    t.server.stop().await;

    // A production instance has no provider behind the social strategies unless told.
    let t = TestServer::start_with(|c| c.production = true).await;
    let env = t.browser().get("/v1/environment").await.body;
    assert_eq!(env["user_settings"]["social"]["oauth_google"]["enabled"], false);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_checks_redirect_uri_state_pkce_and_single_use_codes() {
    let t = TestServer::start().await;
    let b = t.browser();
    let (_, authorize) = start(&b, "sign_ins", "oauth_google").await;
    let q = query(&authorize);
    assert_eq!((q["code_challenge_method"].as_str(), q["client_id"].as_str()), ("S256", clerk_server::idp::CLIENT_ID));
    assert_eq!(q["redirect_uri"], t.url("/v1/oauth_callback"));
    // The authorize request is checked before anything is shown or any redirect happens.
    let with = |k: &str, v: &str| {
        let mut u = url::Url::parse(&authorize).unwrap();
        let pairs: Vec<(String, String)> =
            u.query_pairs().into_owned().map(|(a, b)| if a == k { (a, v.to_owned()) } else { (a, b) }).collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    for (k, v) in [
        ("redirect_uri", "http://evil.example/cb"),
        ("client_id", "someone"),
        ("code_challenge_method", "plain"),
        ("state", ""),
        ("response_type", "token"),
    ] {
        let r = into_resp(reqwest::get(with(k, v)).await.unwrap()).await;
        assert_error(&r, 400, "oauth_invalid_request");
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], k);
    }

    // A code for bob, exchanged at the token endpoint by someone who lacks the verifier.
    let callback = consent(&t, &authorize, "allow", "bob@example.com").await;
    let cq = query(&callback);
    assert!(callback.starts_with(&t.url("/v1/oauth_callback?")), "{callback}");
    assert_eq!(cq["state"], q["state"]);
    let token = |code: &str, verifier: &str, redirect: &str| {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", clerk_server::idp::CLIENT_ID),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ];
        let req = reqwest::Client::new().post(t.url("/oauth/dev/token")).form(&form);
        async move { into_resp(req.send().await.unwrap()).await }
    };
    let r = token(&cq["code"], "not-the-verifier-not-the-verifier-not-the-verifier", &q["redirect_uri"]).await;
    assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (400, Some("invalid_grant")), "{:?}", r.body);
    // The failed exchange consumed the code: the real callback now fails as well, and the
    // sign-in is marked failed with nothing signed in.
    let nb = browser_no_redirects(&t);
    let landed = location(&into_resp(nb.http.get(&callback).send().await.unwrap()).await);
    assert_eq!(query(&landed)["__clerk_status"], "failed");
    assert_eq!(query(&landed)["__clerk_error_code"], "oauth_code_invalid");
    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["sign_in"]["first_factor_verification"]["status"], "failed");
    assert_eq!(client["sign_in"]["first_factor_verification"]["error"]["code"], "oauth_code_invalid");
    assert_eq!(client["sessions"].as_array().unwrap().len(), 0);
    // The callback replayed: its state was good once.
    let r = into_resp(nb.http.get(&callback).send().await.unwrap()).await;
    assert_error(&r, 400, "oauth_state_invalid");

    // The token endpoint itself: a code is good once, for its redirect_uri and verifier only.
    let (_, authorize) = start(&b, "sign_ins", "oauth_google").await;
    let callback = consent(&t, &authorize, "allow", "bob@example.com").await;
    let code = query(&callback)["code"].clone();
    let verifier = "v".repeat(64);
    assert_ne!(clerk_server::idp::s256(&verifier), query(&authorize)["code_challenge"], "the server's verifier is its own");
    let r = token(&code, &verifier, "http://127.0.0.1:3000/elsewhere").await;
    assert_eq!(r.body["error"], "invalid_grant");
    let r = token(&code, &verifier, &t.url("/v1/oauth_callback")).await;
    assert_eq!(r.body["error"], "invalid_grant", "reused");
    let r = into_resp(reqwest::Client::new().get(t.url("/oauth/dev/userinfo")).bearer_auth("nope").send().await.unwrap()).await;
    assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (401, Some("invalid_token")));

    // The app's redirect_url must be on an allowed origin.
    let r = b.post("/v1/client/sign_ins", &[("strategy", "oauth_google"), ("redirect_url", "https://evil.example/cb")]).await;
    assert_error(&r, 422, "form_param_value_invalid");
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "redirect_url");
    let r = b.post("/v1/client/sign_ins", &[("strategy", "oauth_google")]).await;
    assert_error(&r, 422, "form_param_missing");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_sign_in_sign_up_and_transfers() {
    let t = TestServer::start().await;
    let b = t.browser();
    let nb = browser_no_redirects(&t);
    let follow = |url: String| {
        let req = nb.http.get(url);
        async move { location(&into_resp(req.send().await.unwrap()).await) }
    };

    // An existing user (by email) signs in, and the account is linked.
    let (_, authorize) = start(&b, "sign_ins", "oauth_google").await;
    let landed = follow(consent(&t, &authorize, "allow", "bob@example.com").await).await;
    assert_eq!(landed, CALLBACK);
    let client = b.get("/v1/client").await.body["response"].clone();
    let sid = client["last_active_session_id"].as_str().unwrap();
    let session = &client["sessions"][0];
    assert_eq!((session["id"].as_str(), session["user"]["id"].as_str()), (Some(sid), Some(t.seeded.bob_id.as_str())));
    assert_eq!(session["user"]["external_accounts"][0]["provider"], "google");
    assert_eq!(client["last_authentication_strategy"], "oauth_google");
    assert_eq!(client["sign_in"]["status"], "complete");
    assert_eq!(client["sign_in"]["created_session_id"].as_str(), Some(sid));

    // A new account: the sign-in becomes transferable, and a sign-up with transfer makes it.
    let b2 = t.browser();
    let (si, authorize) = start(&b2, "sign_ins", "oauth_github").await;
    let landed = follow(consent(&t, &authorize, "allow", "carol@example.com").await).await;
    assert_eq!(landed, CALLBACK);
    let r = b2.get(&format!("/v1/client/sign_ins/{}", si["id"].as_str().unwrap())).await;
    let v = &r.body["response"]["first_factor_verification"];
    assert_eq!((v["status"].as_str(), v["error"]["code"].as_str()), (Some("transferable"), Some("external_account_not_found")), "{v}");
    assert!(r.body["client"]["sessions"].as_array().unwrap().is_empty(), "nothing signed in yet");
    let r = b2.post("/v1/client/sign_ups", &[("transfer", "true")]).await;
    let su = &r.body["response"];
    assert_eq!(su["status"], "complete", "{:?}", r.body);
    assert_eq!(su["verifications"]["external_account"]["status"], "verified");
    assert_eq!(su["email_address"], "carol@example.com");
    let carol = su["created_user_id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client"]["last_active_session_id"], su["created_session_id"]);
    let user = t.bapi().get(&format!("/v1/users/{carol}")).await.body;
    assert_eq!(user["email_addresses"][0]["verification"]["status"], "verified");
    // A transfer is good once.
    let r = b2.post("/v1/client/sign_ups", &[("transfer", "true")]).await;
    assert_error(&r, 422, "form_param_value_invalid");

    // An OAuth sign-up for an account that exists transfers to sign-in.
    let b3 = t.browser();
    let (_, authorize) = start(&b3, "sign_ups", "oauth_github").await;
    follow(consent(&t, &authorize, "allow", "carol@example.com").await).await;
    let client = b3.get("/v1/client").await.body["response"].clone();
    let v = &client["sign_up"]["verifications"]["external_account"];
    assert_eq!((v["status"].as_str(), v["error"]["code"].as_str()), (Some("transferable"), Some("external_account_exists")), "{v}");
    let r = b3.post("/v1/client/sign_ins", &[("transfer", "true")]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    assert_eq!(r.body["client"]["sessions"][0]["user"]["id"], carol.as_str());

    // An OAuth sign-up of a new account completes at the callback.
    let b4 = t.browser();
    let (_, authorize) = start(&b4, "sign_ups", "oauth_google").await;
    follow(consent(&t, &authorize, "allow", "dave@example.com").await).await;
    let client = b4.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["sessions"][0]["user"]["email_addresses"][0]["email_address"], "dave@example.com");
    // Completed at the callback, it stays on the client for handleRedirectCallback to find.
    assert_eq!(client["sign_up"]["status"], "complete");
    assert_eq!(client["sign_up"]["created_session_id"], client["last_active_session_id"]);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_failures_leave_nothing_half_made() {
    let t = TestServer::start().await;
    let b = t.browser();
    let nb = browser_no_redirects(&t);
    let get = |url: String| {
        let req = nb.http.get(url);
        async move { into_resp(req.send().await.unwrap()).await }
    };
    for (decision, code) in [("deny", "oauth_access_denied"), ("error", "oauth_provider_error")] {
        let (si, authorize) = start(&b, "sign_ins", "oauth_google").await;
        let landed = location(&get(consent(&t, &authorize, decision, "").await).await);
        let q = query(&landed);
        assert_eq!((q["__clerk_status"].as_str(), q["__clerk_error_code"].as_str()), ("failed", code), "{landed}");
        let r = b.get(&format!("/v1/client/sign_ins/{}", si["id"].as_str().unwrap())).await;
        let v = &r.body["response"]["first_factor_verification"];
        assert_eq!((v["status"].as_str(), v["error"]["code"].as_str()), (Some("failed"), Some(code)));
        assert!(r.body["client"]["sessions"].as_array().unwrap().is_empty());
    }
    // A wrong state: a known flow with a forged secret fails that flow; an unknown one is a 400.
    let (_, authorize) = start(&b, "sign_ins", "oauth_google").await;
    let callback = consent(&t, &authorize, "allow", "bob@example.com").await;
    let state = query(&callback)["state"].clone();
    let forged = callback.replace(&urlencode(&state), &format!("{}.forged", state.split('.').next().unwrap()));
    assert_ne!(forged, callback);
    let landed = location(&get(forged).await);
    assert_eq!(query(&landed)["__clerk_error_code"], "oauth_state_invalid");
    let r = get(callback).await;
    assert_error(&r, 400, "oauth_state_invalid");
    let r = get(t.url("/v1/oauth_callback?code=x&state=nothing")).await;
    assert_error(&r, 400, "oauth_state_invalid");
    let client = b.get("/v1/client").await.body["response"].clone();
    assert!(client["sessions"].as_array().unwrap().is_empty());
    t.server.stop().await;
}

/// Email link sign-in: the link opened anywhere (here a client with no cookies) completes the
/// waiting client's sign-in; replayed it fails; past its ten minutes it expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_links_sign_in_and_verify_sign_ups_once() {
    let t = TestServer::start().await;
    let b = t.browser();
    let nb = browser_no_redirects(&t);
    let open = |link: String| {
        let req = nb.http.get(link);
        async move { into_resp(req.send().await.unwrap()).await }
    };
    let latest_link = |to: &str| {
        let url = t.url(&format!("/__dev/emails?to={to}"));
        async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap()["latest_link"].as_str().unwrap().to_owned() }
    };
    let si = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com")]).await.body["response"].clone();
    let id = si["id"].as_str().unwrap();
    let link_factor = si["supported_first_factors"].as_array().unwrap().iter().find(|f| f["strategy"] == "email_link").unwrap().clone();
    let r = b
        .post(
            &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
            &[
                ("strategy", "email_link"),
                ("email_address_id", link_factor["email_address_id"].as_str().unwrap()),
                ("redirect_url", CALLBACK),
            ],
        )
        .await;
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "unverified", "{:?}", r.body);
    let link = latest_link("bob@example.com").await;
    assert!(link.starts_with(&t.url("/v1/verify?token=")), "{link}");
    let landed = location(&open(link.clone()).await);
    let q = query(&landed);
    assert_eq!(q["__clerk_status"], "verified");
    // The waiting tab's reload sees it complete.
    let r = b.get(&format!("/v1/client/sign_ins/{id}")).await;
    assert_eq!(r.body["response"]["status"], "complete");
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "verified");
    assert_eq!(r.body["response"]["created_session_id"].as_str(), Some(q["__clerk_created_session"].as_str()));
    assert_eq!(r.body["client"]["last_active_session_id"].as_str(), Some(q["__clerk_created_session"].as_str()));
    // Replayed: failed, and nothing more is made.
    let landed = location(&open(link).await);
    assert_eq!(query(&landed)["__clerk_status"], "failed");
    assert_eq!(b.get("/v1/client").await.body["response"]["sessions"].as_array().unwrap().len(), 1);
    let r = open(t.url("/v1/verify?token=made-up")).await;
    assert_error(&r, 400, "verification_link_invalid");
    // redirect_url is checked like every other redirect.
    let b2 = t.browser();
    let si = b2.post("/v1/client/sign_ins", &[("identifier", "bob@example.com")]).await.body["response"].clone();
    let id2 = si["id"].as_str().unwrap();
    let r = b2
        .post(
            &format!("/v1/client/sign_ins/{id2}/prepare_first_factor"),
            &[("strategy", "email_link"), ("redirect_url", "https://evil.example/")],
        )
        .await;
    assert_error(&r, 422, "form_param_value_invalid");

    // Expired: ten minutes on, the link lands with `expired` and the sign-in says so.
    b2.post(&format!("/v1/client/sign_ins/{id2}/prepare_first_factor"), &[("strategy", "email_link"), ("redirect_url", CALLBACK)]).await;
    let link = latest_link("bob@example.com").await;
    advance(&t, 10 * 60 * 1000 + 1).await;
    // The waiting tab's reload reads it expired before anyone opens the link.
    let r = b2.get(&format!("/v1/client/sign_ins/{id2}")).await;
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "expired");
    let landed = location(&open(link).await);
    assert_eq!(query(&landed)["__clerk_status"], "expired");
    let r = b2.get(&format!("/v1/client/sign_ins/{id2}")).await;
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "expired");
    assert_eq!(r.body["response"]["status"], "needs_first_factor");
    assert!(r.body["client"]["sessions"].as_array().unwrap().is_empty());

    // Sign-up verification by link: verified, and with a password the user is made.
    let b3 = t.browser();
    let su =
        b3.post("/v1/client/sign_ups", &[("email_address", "erin@example.com"), ("password", "erin-password-1")]).await.body["response"]
            .clone();
    let sid = su["id"].as_str().unwrap();
    let r = b3
        .post(&format!("/v1/client/sign_ups/{sid}/prepare_verification"), &[("strategy", "email_link"), ("redirect_url", CALLBACK)])
        .await;
    assert_eq!(r.body["response"]["verifications"]["email_address"]["strategy"], "email_link", "{:?}", r.body);
    let landed = location(&open(latest_link("erin@example.com").await).await);
    let q = query(&landed);
    assert_eq!(q["__clerk_status"], "verified");
    let r = b3.get(&format!("/v1/client/sign_ups/{sid}")).await;
    assert_eq!(r.body["response"]["status"], "complete");
    assert_eq!(r.body["response"]["created_session_id"].as_str(), Some(q["__clerk_created_session"].as_str()));
    t.server.stop().await;
}
