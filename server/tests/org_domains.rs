//! Organization domains over real HTTP: adding one (typed refusals for bad and common names),
//! verifying its affiliation with an email code from the development outbox, enrollment modes,
//! and what a verified domain does for users with an address there: a suggestion (accepted, it
//! becomes a membership request an admin accepts or rejects) or an invitation.

mod common;

use common::orgs::*;
use common::*;
use serde_json::{Value, json};

/// carol, admin of Initech, with a verified domain `initech.com` in `mode`; returns her browser,
/// the organization and the domain.
async fn verified_domain(t: &TestServer, mode: &str) -> (Browser, String, String) {
    new_user(t, "carol@example.com").await;
    let (b, _) = signed_in(t, "carol@example.com").await;
    let org = create_org(&b, "Initech", "initech").await["id"].as_str().unwrap().to_owned();
    let r = b.post(&format!("/v1/organizations/{org}/domains"), &[("name", "initech.com")]).await;
    let dom = r.body["response"]["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/organizations/{org}/domains/{dom}");
    b.post(&format!("{base}/prepare_affiliation_verification"), &[("affiliation_email_address", "carol@initech.com")]).await;
    let code = t.latest_code("carol@initech.com").await;
    let r = b.post(&format!("{base}/attempt_affiliation_verification"), &[("code", &code)]).await;
    assert_eq!(r.body["response"]["verification"]["status"], "verified", "{:?}", r.body);
    let r = b.post(&format!("{base}/update_enrollment_mode"), &[("enrollment_mode", mode)]).await;
    assert_eq!(r.body["response"]["enrollment_mode"], mode, "{:?}", r.body);
    (b, org, dom)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_is_added_verified_by_code_and_deleted() {
    let t = TestServer::start().await;
    new_user(&t, "carol@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let org = create_org(&b, "Initech", "initech").await["id"].as_str().unwrap().to_owned();
    let domains = format!("/v1/organizations/{org}/domains");

    // Bad names first.
    for (name, status, code) in [
        ("", 422, "form_param_missing"),
        ("not a domain", 422, "form_param_format_invalid"),
        ("localhost", 422, "form_param_format_invalid"),
        ("-bad.com", 422, "form_param_format_invalid"),
        ("gmail.com", 400, "organization_domain_common"),
    ] {
        let r = b.post(&domains, &[("name", name)]).await;
        assert_eq!(error(&r), (status, code.to_owned(), Some("name".to_owned())), "{name}: {:?}", r.body);
    }
    let r = b.post(&domains, &[("name", "Initech.COM")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let d = r.body["response"].clone();
    assert_eq!(d["object"], "organization_domain");
    assert_eq!(d["name"], "initech.com");
    assert_eq!(d["organization_id"], org.as_str());
    assert_eq!(d["enrollment_mode"], "manual_invitation");
    assert_eq!(d["verification"], Value::Null);
    assert_eq!(d["affiliation_email_address"], Value::Null);
    assert_eq!((d["total_pending_invitations"].as_u64(), d["total_pending_suggestions"].as_u64()), (Some(0), Some(0)));
    // Taken, by this organization or any other.
    assert_eq!(
        error(&b.post(&domains, &[("name", "initech.com")]).await),
        (422, "form_identifier_exists".to_owned(), Some("name".to_owned()))
    );
    let dom = d["id"].as_str().unwrap().to_owned();
    let base = format!("{domains}/{dom}");

    // Automatic modes need a verified domain; bad modes are refused.
    let r = b.post(&format!("{base}/update_enrollment_mode"), &[("enrollment_mode", "automatic_suggestion")]).await;
    assert_eq!(error(&r), (400, "organization_domain_not_verified".to_owned(), Some("enrollment_mode".to_owned())));
    let r = b.post(&format!("{base}/update_enrollment_mode"), &[("enrollment_mode", "whenever")]).await;
    assert_eq!(error(&r), (422, "form_param_value_invalid".to_owned(), Some("enrollment_mode".to_owned())));
    // Attempting before preparing; preparing with an address elsewhere.
    let r = b.post(&format!("{base}/attempt_affiliation_verification"), &[("code", "123456")]).await;
    assert_eq!(error(&r), (422, "verification_missing".to_owned(), Some("code".to_owned())));
    let r = b.post(&format!("{base}/prepare_affiliation_verification"), &[("affiliation_email_address", "carol@example.com")]).await;
    assert_eq!(error(&r), (422, "form_param_format_invalid".to_owned(), Some("affiliation_email_address".to_owned())));

    let r = b.post(&format!("{base}/prepare_affiliation_verification"), &[("affiliation_email_address", "carol@initech.com")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = &r.body["response"]["verification"];
    assert_eq!((v["status"].as_str(), v["strategy"].as_str(), v["attempts"].as_u64()), (Some("unverified"), Some("email_code"), Some(0)));
    assert!(v["expires_at"].as_i64().unwrap() > 0);
    assert_eq!(r.body["response"]["affiliation_email_address"], "carol@initech.com");
    let code = t.latest_code("carol@initech.com").await;
    // A wrong code is counted.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = b.post(&format!("{base}/attempt_affiliation_verification"), &[("code", wrong)]).await;
    assert_eq!(error(&r), (422, "form_code_incorrect".to_owned(), Some("code".to_owned())));
    let r = b.get(&base).await;
    assert_eq!(r.body["response"]["verification"]["attempts"], 1, "{:?}", r.body);
    let r = b.post(&format!("{base}/attempt_affiliation_verification"), &[("code", &code)]).await;
    assert_eq!(r.body["response"]["verification"]["status"], "verified", "{:?}", r.body);
    assert_eq!(r.body["response"]["verification"]["attempts"], 2);

    // The enrollment-mode filter.
    b.post(&format!("{base}/update_enrollment_mode"), &[("enrollment_mode", "automatic_invitation")]).await;
    let r = b.get(&format!("{domains}?limit=10&offset=0&enrollment_mode=automatic_invitation")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
    let r = b.get(&format!("{domains}?enrollment_mode=automatic_suggestion")).await;
    assert_eq!(r.body["response"], json!({"data": [], "total_count": 0}));

    // A member neither reads nor changes domains; another organization's domain is a 404.
    b.post(&format!("/v1/organizations/{org}/memberships"), &[("user_id", &t.seeded.bob_id), ("role", "org:member")]).await;
    let (bob, _) = signed_in(&t, "bob@example.com").await;
    assert_eq!(error(&bob.get(&domains).await).1, "authorization_invalid", "members lack org:sys_domains:read");
    assert_eq!(error(&tunnelled(&bob, "DELETE", &base, &[]).await).1, "authorization_invalid");
    let alice = t.browser();
    alice.sign_in_alice().await;
    assert_eq!(error(&alice.get(&format!("/v1/organizations/{}/domains/{dom}", t.seeded.org_id)).await).0, 404);

    let r = tunnelled(&b, "DELETE", &base, &[]).await;
    assert_eq!(r.body["response"], json!({"object": "organization_domain", "id": dom, "deleted": true}));
    assert_eq!(error(&b.get(&base).await).0, 404);
    // Its name is free again.
    assert_eq!(b.post(&domains, &[("name", "initech.com")]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suggestion_becomes_a_membership_request_an_admin_accepts() {
    let t = TestServer::start().await;
    let (admin, org, dom) = verified_domain(&t, "automatic_suggestion").await;
    let erin = new_user(&t, "erin@initech.com").await;
    new_user(&t, "frank@initech.com").await;
    let (e, _) = signed_in(&t, "erin@initech.com").await;

    let r = e.get("/v1/me/organization_suggestions?limit=10&offset=0&status=pending").await;
    assert_eq!(r.body["response"]["total_count"], 1, "{:?}", r.body);
    let s = r.body["response"]["data"][0].clone();
    assert_eq!(s["object"], "organization_suggestion");
    assert_eq!(s["status"], "pending");
    assert_eq!(s["public_organization_data"]["id"], org.as_str());
    assert_eq!(s["public_organization_data"]["name"], "Initech");
    // Listing again makes no second one; the domain counts it.
    assert_eq!(e.get("/v1/me/organization_suggestions").await.body["response"]["total_count"], 1);
    let r = admin.get(&format!("/v1/organizations/{org}/domains/{dom}")).await;
    assert_eq!(r.body["response"]["total_pending_suggestions"], 1);
    // No invitation in this mode.
    assert_eq!(e.get("/v1/me/organization_invitations").await.body["response"]["total_count"], 0);

    let sid = s["id"].as_str().unwrap();
    let r = e.post(&format!("/v1/me/organization_suggestions/{sid}/accept"), &[]).await;
    assert_eq!(r.body["response"]["status"], "accepted", "{:?}", r.body);
    let r = e.post(&format!("/v1/me/organization_suggestions/{sid}/accept"), &[]).await;
    assert_eq!(error(&r), (400, "organization_suggestion_already_accepted".to_owned(), None));
    let r = e.get("/v1/me/organization_suggestions?status=accepted").await;
    assert_eq!(r.body["response"]["data"][0]["status"], "accepted");
    // Not yet a member: the admin sees a pending request.
    assert_eq!(error(&e.get(&format!("/v1/organizations/{org}")).await).0, 404);
    let r = admin.get(&format!("/v1/organizations/{org}/membership_requests?limit=10&offset=0&status=pending")).await;
    assert_eq!(r.body["response"]["total_count"], 1, "{:?}", r.body);
    let req = r.body["response"]["data"][0].clone();
    assert_eq!(req["object"], "organization_membership_request");
    assert_eq!(req["organization_id"], org.as_str());
    assert_eq!(req["public_user_data"]["user_id"], erin.as_str());
    assert_eq!(req["public_user_data"]["identifier"], "erin@initech.com");
    let rid = req["id"].as_str().unwrap();
    let r = admin.post(&format!("/v1/organizations/{org}/membership_requests/{rid}/accept"), &[]).await;
    assert_eq!(r.body["response"]["status"], "accepted", "{:?}", r.body);
    let r = admin.post(&format!("/v1/organizations/{org}/membership_requests/{rid}/reject"), &[]).await;
    assert_eq!(error(&r), (400, "organization_membership_request_not_pending".to_owned(), None));
    let r = e.get(&format!("/v1/organizations/{org}")).await;
    assert_eq!(r.status, 200, "erin is a member: {:?}", r.body);
    let r = e.get("/v1/me/organization_memberships?paginated=true").await;
    assert_eq!(r.body["response"]["data"][0]["role"], "org:member");

    // Frank's request is rejected: no membership.
    let (f, _) = signed_in(&t, "frank@initech.com").await;
    let s = f.get("/v1/me/organization_suggestions").await.body["response"]["data"][0]["id"].as_str().unwrap().to_owned();
    f.post(&format!("/v1/me/organization_suggestions/{s}/accept"), &[]).await;
    let r = admin.get(&format!("/v1/organizations/{org}/membership_requests?status=pending")).await;
    let rid = r.body["response"]["data"][0]["id"].as_str().unwrap().to_owned();
    // Only an admin decides, and only on this organization's requests.
    let r = e.post(&format!("/v1/organizations/{org}/membership_requests/{rid}/accept"), &[]).await;
    assert_eq!(error(&r), (403, "authorization_invalid".to_owned(), None));
    let r = admin.post(&format!("/v1/organizations/{org}/membership_requests/orgmbrreq_nope/accept"), &[]).await;
    assert_eq!(error(&r).0, 404);
    let r = admin.post(&format!("/v1/organizations/{org}/membership_requests/{rid}/reject"), &[]).await;
    assert_eq!(r.body["response"]["status"], "rejected");
    assert_eq!(error(&f.get(&format!("/v1/organizations/{org}")).await).0, 404);
    let r = admin.get(&format!("/v1/organizations/{org}/membership_requests?status=rejected")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
    // Someone else's suggestion cannot be accepted.
    let r = e.post(&format!("/v1/me/organization_suggestions/{s}/accept"), &[]).await;
    assert_eq!(error(&r).0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automatic_invitation_domain_invites_its_users() {
    let t = TestServer::start().await;
    let (admin, org, dom) = verified_domain(&t, "automatic_invitation").await;
    new_user(&t, "gina@initech.com").await;
    new_user(&t, "hank@elsewhere.com").await;
    let (g, _) = signed_in(&t, "gina@initech.com").await;
    let r = g.get("/v1/me/organization_invitations?status=pending").await;
    assert_eq!(r.body["response"]["total_count"], 1, "{:?}", r.body);
    let inv = &r.body["response"]["data"][0];
    assert_eq!((inv["email_address"].as_str(), inv["role"].as_str()), (Some("gina@initech.com"), Some("org:member")));
    assert_eq!(g.get("/v1/me/organization_suggestions").await.body["response"]["total_count"], 0);
    let r = admin.get(&format!("/v1/organizations/{org}/domains/{dom}")).await;
    assert_eq!(r.body["response"]["total_pending_invitations"], 1);
    let (h, _) = signed_in(&t, "hank@elsewhere.com").await;
    assert_eq!(h.get("/v1/me/organization_invitations").await.body["response"]["total_count"], 0);

    // Switching the mode with delete_pending revokes what the domain made.
    let r = admin
        .post(
            &format!("/v1/organizations/{org}/domains/{dom}/update_enrollment_mode"),
            &[("enrollment_mode", "manual_invitation"), ("delete_pending", "true")],
        )
        .await;
    assert_eq!(r.body["response"]["total_pending_invitations"], 0, "{:?}", r.body);
    let r = g.get("/v1/me/organization_invitations?status=pending").await;
    assert_eq!(r.body["response"]["total_count"], 0);
}
