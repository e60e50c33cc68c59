//! Organization invitations over real HTTP: an admin invites (one address or several, all or
//! none), the invitation email lands in the development outbox, the invited user lists and
//! accepts it (only for a verified address of theirs), an admin revokes; each refusal is typed
//! and writes nothing.

mod common;

/// A form body's fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

use common::orgs::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

struct Setup {
    t: TestServer,
    admin: Browser,
    org: String,
    dave: String,
}

/// carol is admin of Initech; dave is a user of the instance, not a member.
async fn setup() -> Setup {
    let t = TestServer::start().await;
    new_user(&t, "carol@example.com").await;
    let dave = new_user(&t, "dave@example.com").await;
    let (admin, _) = signed_in(&t, "carol@example.com").await;
    let org = create_org(&admin, "Initech", "initech").await["id"].as_str().unwrap().to_owned();
    Setup { t, admin, org, dave }
}

async fn outbox(t: &TestServer, to: &str) -> Vec<Value> {
    let v: Value = reqwest::get(t.url(&format!("/__dev/emails?to={to}"))).await.unwrap().json().await.unwrap();
    v["emails"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_emailed_listed_and_accepted_by_the_invited_user() {
    let Setup { t, admin, org, dave } = setup().await;
    let r =
        admin.post(&format!("/v1/organizations/{org}/invitations"), &[("email_address", "Dave@Example.com"), ("role", "org:member")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let inv = r.body["response"].clone();
    assert_eq!(inv["object"], "organization_invitation");
    assert_eq!(inv["email_address"], "Dave@Example.com");
    assert_eq!(inv["organization_id"], org.as_str());
    assert_eq!(
        (inv["role"].as_str(), inv["role_name"].as_str(), inv["status"].as_str()),
        (Some("org:member"), Some("Member"), Some("pending"))
    );
    assert_eq!(inv["public_metadata"], json!({}));
    let mail = outbox(&t, "dave@example.com").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["subject"], "You're invited to join Initech");
    // Pending invitations count against the organization.
    let r = admin.get(&format!("/v1/organizations/{org}")).await;
    assert_eq!(r.body["response"]["pending_invitations_count"], 1);

    // The admin's list, with its status filter.
    let r = admin.get(&format!("/v1/organizations/{org}/invitations?limit=10&offset=0&status=pending")).await;
    assert_eq!(r.body["response"]["total_count"], 1, "{:?}", r.body);
    let r = admin.get(&format!("/v1/organizations/{org}/invitations?limit=10&offset=0&status=accepted%2Crevoked")).await;
    assert_eq!(r.body["response"], json!({"data": [], "total_count": 0}));

    // Dave's side: the address matches whatever its case.
    let (d, _) = signed_in(&t, "dave@example.com").await;
    let r = d.get("/v1/me/organization_invitations?limit=10&offset=0&status=pending").await;
    assert_eq!(r.body["response"]["total_count"], 1, "{:?}", r.body);
    let mine = &r.body["response"]["data"][0];
    assert_eq!(mine["id"], inv["id"]);
    assert_eq!(
        mine["public_organization_data"],
        json!({"id": org, "name": "Initech", "slug": "initech", "has_image": false, "image_url": ""})
    );
    assert_eq!(mine["role"], "org:member");
    let id = inv["id"].as_str().unwrap();
    let r = d.post(&format!("/v1/me/organization_invitations/{id}/accept"), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["status"], "accepted");
    let ms = &r.body["client"]["sessions"][0]["user"]["organization_memberships"];
    assert_eq!(ms.as_array().map(Vec::len), Some(1));
    assert_eq!((ms[0]["organization"]["id"].as_str(), ms[0]["role"].as_str()), (Some(org.as_str()), Some("org:member")));
    // Seen from the Backend API too.
    let r = t.bapi().get(&format!("/v1/organizations/{org}/memberships")).await;
    assert!(r.body["data"].as_array().unwrap().iter().any(|m| m["public_user_data"]["user_id"] == dave.as_str()), "{:?}", r.body);
    // Accepted once: again is refused, and it is no longer pending.
    let r = d.post(&format!("/v1/me/organization_invitations/{id}/accept"), &[]).await;
    assert_eq!(error(&r), (400, "organization_invitation_not_pending".to_owned(), None));
    let r = d.get("/v1/me/organization_invitations?status=pending").await;
    assert_eq!(r.body["response"]["total_count"], 0);
    let r = admin.get(&format!("/v1/organizations/{org}/invitations?status=accepted")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_invitations_are_refused_and_write_nothing() {
    let Setup { t, admin, org, .. } = setup().await;
    let path = format!("/v1/organizations/{org}/invitations");
    let cases: Vec<(Form, u16, &str, Option<&str>)> = vec![
        (vec![("role", "org:member")], 422, "form_param_missing", Some("email_address")),
        (vec![("email_address", "x@example.com")], 422, "form_param_missing", Some("role")),
        (vec![("email_address", "x@example.com"), ("role", "org:boss")], 422, "form_param_value_invalid", Some("role")),
        (vec![("email_address", "not-an-email"), ("role", "org:member")], 422, "form_param_format_invalid", Some("email_address")),
        (
            vec![("email_address", "carol@example.com"), ("role", "org:member")],
            400,
            "already_a_member_in_organization",
            Some("email_address"),
        ),
    ];
    for (form, status, code, param) in cases {
        let r = admin.post(&path, &form).await;
        assert_eq!(error(&r), (status, code.to_owned(), param.map(str::to_owned)), "{form:?}: {:?}", r.body);
    }
    // A second pending invitation to one address: Clerk's duplicate_record, naming it.
    admin.post(&path, &[("email_address", "erin@example.com"), ("role", "org:member")]).await;
    let r = admin.post(&path, &[("email_address", "ERIN@example.com"), ("role", "org:admin")]).await;
    assert_eq!(error(&r), (400, "duplicate_record".to_owned(), None), "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["meta"]["email_addresses"], json!(["erin@example.com"]));
    let r = admin.get(&format!("{path}?limit=10&offset=0")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
    assert_eq!(outbox(&t, "x@example.com").await.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_invitations_are_all_or_none() {
    let Setup { t, admin, org, .. } = setup().await;
    let bulk = format!("/v1/organizations/{org}/invitations/bulk");
    let r = admin.post(&bulk, &[("email_address", "f@example.com"), ("email_address", "g@example.com"), ("role", "org:admin")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let made = r.body["response"].as_array().unwrap();
    assert_eq!(made.iter().map(|i| i["email_address"].as_str().unwrap()).collect::<Vec<_>>(), ["f@example.com", "g@example.com"]);
    assert!(made.iter().all(|i| i["role"] == "org:admin" && i["status"] == "pending"));
    assert_eq!(outbox(&t, "g@example.com").await.len(), 1);
    // One address already invited: none of them is.
    let r = admin.post(&bulk, &[("email_address", "h@example.com"), ("email_address", "g@example.com"), ("role", "org:member")]).await;
    assert_eq!(error(&r).1, "duplicate_record");
    let r = admin.post(&bulk, &[("email_address", "h@example.com"), ("email_address", "bad"), ("role", "org:member")]).await;
    assert_eq!(error(&r), (422, "form_param_format_invalid".to_owned(), Some("email_address".to_owned())));
    let r = admin.post(&bulk, &[("role", "org:member")]).await;
    assert_eq!(error(&r), (422, "form_param_missing".to_owned(), Some("email_address".to_owned())));
    assert_eq!(outbox(&t, "h@example.com").await.len(), 0);
    let r = admin.get(&format!("/v1/organizations/{org}/invitations")).await;
    assert_eq!(r.body["response"]["total_count"], 2);

    // The member limit counts pending invitations (set through the Backend API).
    let r = bapi_send(&t.bapi(), Method::PATCH, &format!("/v1/organizations/{org}"), Some(json!({"max_allowed_memberships": 4}))).await;
    assert_eq!(r.body["max_allowed_memberships"], 4);
    let r = admin.post(&bulk, &[("email_address", "i@example.com"), ("email_address", "j@example.com"), ("role", "org:member")]).await;
    assert_eq!(error(&r), (403, "organization_membership_quota_exceeded".to_owned(), None), "1 member + 2 pending + 2 > 4");
    let r = admin.post(&bulk, &[("email_address", "i@example.com"), ("role", "org:member")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_and_whose_invitation_it_is() {
    let Setup { t, admin, org, dave } = setup().await;
    let r =
        admin.post(&format!("/v1/organizations/{org}/invitations"), &[("email_address", "dave@example.com"), ("role", "org:member")]).await;
    let id = r.body["response"]["id"].as_str().unwrap().to_owned();

    // Bob is no one here: he cannot accept dave's invitation, nor see it.
    let (bob, _) = signed_in(&t, "bob@example.com").await;
    assert_eq!(error(&bob.post(&format!("/v1/me/organization_invitations/{id}/accept"), &[]).await).0, 404);
    assert_eq!(bob.get("/v1/me/organization_invitations").await.body["response"]["total_count"], 0);
    // Another organization's admin cannot revoke it (alice is Acme's admin): the ids don't mix.
    let alice = t.browser();
    alice.sign_in_alice().await;
    let r = alice.post(&format!("/v1/organizations/{}/invitations/{id}/revoke", t.seeded.org_id), &[]).await;
    assert_eq!(error(&r), (404, "resource_not_found".to_owned(), None));
    // A member cannot revoke.
    admin.post(&format!("/v1/organizations/{org}/memberships"), &[("user_id", &t.seeded.bob_id), ("role", "org:member")]).await;
    let r = bob.post(&format!("/v1/organizations/{org}/invitations/{id}/revoke"), &[]).await;
    assert_eq!(error(&r), (403, "authorization_invalid".to_owned(), None));
    assert_eq!(error(&bob.get(&format!("/v1/organizations/{org}/invitations")).await).0, 403);

    let r = admin.post(&format!("/v1/organizations/{org}/invitations/{id}/revoke"), &[]).await;
    assert_eq!(r.body["response"]["status"], "revoked", "{:?}", r.body);
    let r = admin.post(&format!("/v1/organizations/{org}/invitations/{id}/revoke"), &[]).await;
    assert_eq!(error(&r), (400, "organization_invitation_not_pending".to_owned(), None));
    // A revoked invitation cannot be accepted.
    let (d, _) = signed_in(&t, "dave@example.com").await;
    let r = d.post(&format!("/v1/me/organization_invitations/{id}/accept"), &[]).await;
    assert_eq!(error(&r).1, "organization_invitation_not_pending");
    let r = d.get("/v1/me/organization_invitations?status=revoked").await;
    assert_eq!(r.body["response"]["data"][0]["status"], "revoked");
    let r = t.bapi().get(&format!("/v1/organizations/{org}/memberships")).await;
    assert!(r.body["data"].as_array().unwrap().iter().all(|m| m["public_user_data"]["user_id"] != dave.as_str()), "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_verified_address_accepts() {
    let Setup { t, admin, org, dave } = setup().await;
    // Dave has a second address he has not verified.
    let store = t.server.state.store.clone();
    let user = dave.clone();
    tokio::task::spawn_blocking(move || {
        store.run::<(), clerk_server::errors::ApiError>(|tx| {
            tx.put_email(&clerk_server::store::EmailAddress {
                id: "idn_unverified".into(),
                user_id: user.clone(),
                email: "dave@initech.com".into(),
                verified: false,
                created_at: 0,
                verification: None,
            })?;
            Ok(clerk_server::store::Done(()))
        })
    })
    .await
    .unwrap()
    .unwrap();
    let r =
        admin.post(&format!("/v1/organizations/{org}/invitations"), &[("email_address", "dave@initech.com"), ("role", "org:member")]).await;
    let id = r.body["response"]["id"].as_str().unwrap().to_owned();
    let (d, _) = signed_in(&t, "dave@example.com").await;
    assert_eq!(d.get("/v1/me/organization_invitations").await.body["response"]["total_count"], 0);
    let r = d.post(&format!("/v1/me/organization_invitations/{id}/accept"), &[]).await;
    assert_eq!(error(&r), (404, "resource_not_found".to_owned(), None));
    let r = admin.get(&format!("/v1/organizations/{org}")).await;
    assert_eq!(r.body["response"]["members_count"], 1);
}
