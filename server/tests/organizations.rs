//! The Frontend API's organization lists (what `useOrganizationList` / `useOrganization` read
//! through clerk-js), over real HTTP against the seeded store: bob is `org:member` and alice
//! `org:admin` of Acme.

mod common;

use common::*;
use serde_json::{Value, json};

const PAGE: &str = "paginated=true&limit=10&offset=0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_callers_get_401_signed_out() {
    let t = TestServer::start().await;
    let b = t.browser();
    let org = &t.seeded.org_id;
    // No client at all, then a client without a session.
    for _ in 0..2 {
        for path in [
            format!("/v1/me/organization_memberships?{PAGE}"),
            "/v1/me/organization_invitations?limit=10&offset=0".to_owned(),
            "/v1/me/organization_suggestions?limit=10&offset=0".to_owned(),
            format!("/v1/organizations/{org}"),
            format!("/v1/organizations/{org}/memberships?{PAGE}"),
        ] {
            let r = b.get(&path).await;
            assert_eq!(r.status, 401, "{path}: {:?}", r.body);
            assert_eq!(r.code(), "signed_out", "{path}");
            assert_eq!(r.content_type, "application/json");
        }
        assert_eq!(b.post("/v1/client", &[]).await.status, 200);
    }
    // A session that has ended no longer reads anything.
    let sid = b.sign_in("bob@example.com").await;
    assert_eq!(b.get(&format!("/v1/me/organization_memberships?{PAGE}")).await.status, 200);
    assert_eq!(b.post(&format!("/v1/client/sessions/{sid}/end"), &[]).await.status, 200);
    let r = b.get(&format!("/v1/me/organization_memberships?{PAGE}&_clerk_session_id={sid}")).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "signed_out"), "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_memberships_lists_the_users_organizations_with_public_user_data() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;

    let r = b.get(&format!("/v1/me/organization_memberships?{PAGE}&_clerk_session_id={sid}")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["client"]["last_active_session_id"], sid.as_str());
    let page = &r.body["response"];
    assert_eq!(page["total_count"], 1);
    let m = &page["data"][0];
    assert_eq!(m["object"], "organization_membership");
    assert_eq!(m["role"], "org:member");
    assert_eq!(m["role_name"], "Member");
    assert_eq!(m["permissions"], json!(["org:sys_memberships:read", "org:sys_profile:read"]));
    assert_eq!(m["organization"]["id"], t.seeded.org_id.as_str());
    assert_eq!(m["organization"]["name"], "Acme");
    assert_eq!(m["organization"]["slug"], "acme");
    assert_eq!(m["organization"]["members_count"], 2);
    assert_eq!(m["public_user_data"]["user_id"], t.seeded.bob_id.as_str());
    assert_eq!(m["public_user_data"]["identifier"], "bob@example.com");
    // The id is the one the user object carries, so clerk-js sees one membership, not two.
    let c = b.get("/v1/client").await;
    assert_eq!(c.body["response"]["sessions"][0]["user"]["organization_memberships"][0]["id"], m["id"]);

    // Without `paginated=true` the legacy shape: a bare array.
    let r = b.get("/v1/me/organization_memberships").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["response"].as_array().map(Vec::len), Some(1), "{:?}", r.body);

    // A page past the end: no data, the same total.
    let r = b.get("/v1/me/organization_memberships?paginated=true&limit=10&offset=10").await;
    assert_eq!(r.body["response"], json!({"data": [], "total_count": 1}));

    // Invitations and suggestions: clerk-server keeps none; the paginated shape clerk-js reads.
    for path in ["/v1/me/organization_invitations?limit=10&offset=0&status=pending", "/v1/me/organization_suggestions"] {
        let r = b.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body["response"], json!({"data": [], "total_count": 0}), "{path}");
        assert_eq!(r.body["client"]["id"], c.body["response"]["id"], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_named_by_clerk_session_id_is_the_one_that_reads() {
    let t = TestServer::start().await;
    // A user in no organization: an empty list, not an error.
    let carol = t.bapi().post("/v1/users", Some(json!({"email_address": ["carol@example.com"], "password": PASSWORD}))).await;
    assert_eq!(carol.status, 200, "{:?}", carol.body);
    let b = t.browser();
    let bob = b.sign_in("bob@example.com").await;
    let carol_sid = b.sign_in("carol@example.com").await;
    // Carol signed in last: she is the default.
    let r = b.get(&format!("/v1/me/organization_memberships?{PAGE}")).await;
    assert_eq!(r.body["response"], json!({"data": [], "total_count": 0}), "{:?}", r.body);
    let r = b.get(&format!("/v1/me/organization_memberships?{PAGE}&_clerk_session_id={bob}")).await;
    assert_eq!(r.body["response"]["data"][0]["public_user_data"]["user_id"], t.seeded.bob_id.as_str());
    let r = b.get(&format!("/v1/me/organization_memberships?{PAGE}&_clerk_session_id={carol_sid}")).await;
    assert_eq!(r.body["response"]["total_count"], 0);

    // Another client's session is not this caller's: signed out, nothing leaks.
    let other = t.browser();
    let r = other.get(&format!("/v1/me/organization_memberships?{PAGE}&_clerk_session_id={bob}")).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "signed_out"), "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_and_its_memberships_for_a_member() {
    let t = TestServer::start().await;
    let b = t.browser();
    b.sign_in("bob@example.com").await;
    let org = &t.seeded.org_id;

    let r = b.get(&format!("/v1/organizations/{org}")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["object"], "organization");
    assert_eq!(r.body["response"]["id"], org.as_str());
    assert_eq!(r.body["response"]["members_count"], 2);

    let r = b.get(&format!("/v1/organizations/{org}/memberships?{PAGE}")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["total_count"], 2);
    let users: Vec<&Value> = r.body["response"]["data"].as_array().unwrap().iter().map(|m| &m["public_user_data"]["user_id"]).collect();
    // Oldest membership first: the seed adds alice, then bob.
    assert_eq!(users, [&json!(t.seeded.alice_id), &json!(t.seeded.bob_id)]);
    assert_eq!(r.body["response"]["data"][0]["role"], "org:admin");
    assert_eq!(r.body["response"]["data"][0]["organization"]["id"], org.as_str());

    // Paging and the role filter (clerk-js sends an array as one comma-separated value).
    let r = b.get(&format!("/v1/organizations/{org}/memberships?paginated=true&limit=1&offset=1")).await;
    assert_eq!(r.body["response"]["total_count"], 2);
    assert_eq!(r.body["response"]["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["response"]["data"][0]["public_user_data"]["user_id"], t.seeded.bob_id.as_str());
    let r = b.get(&format!("/v1/organizations/{org}/memberships?paginated=true&role=org%3Aadmin")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
    assert_eq!(r.body["response"]["data"][0]["public_user_data"]["user_id"], t.seeded.alice_id.as_str());
    let r = b.get(&format!("/v1/organizations/{org}/memberships?paginated=true&role=org%3Aadmin%2Corg%3Amember")).await;
    assert_eq!(r.body["response"]["total_count"], 2);
    let r = b.get(&format!("/v1/organizations/{org}/memberships?paginated=true&role=org:admin&role=org:member")).await;
    assert_eq!(r.body["response"]["total_count"], 2);

    // Bad paging: a typed 422 naming the parameter.
    for (q, param) in [("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset")] {
        let r = b.get(&format!("/v1/organizations/{org}/memberships?paginated=true&{q}")).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_value_invalid"), "{q}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], param);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_and_foreign_organizations() {
    let t = TestServer::start().await;
    let org = &t.seeded.org_id;
    let bob = t.browser();
    bob.sign_in("bob@example.com").await;
    let alice = t.browser();
    alice.sign_in_alice().await;

    // Invitations and membership requests need org:sys_memberships:manage, domains
    // org:sys_domains:read: a member is refused, an admin gets the (empty) page.
    for list in ["invitations", "membership_requests", "domains"] {
        let path = format!("/v1/organizations/{org}/{list}?limit=10&offset=0");
        let r = bob.get(&path).await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "authorization_invalid"), "{list}: {:?}", r.body);
        let r = alice.get(&path).await;
        assert_eq!(r.status, 200, "{list}: {:?}", r.body);
        assert_eq!(r.body["response"], json!({"data": [], "total_count": 0}), "{list}");
    }

    // An organization bob is not a member of answers like one that does not exist.
    let other = t.bapi().post("/v1/organizations", Some(json!({"name": "Globex", "created_by": t.seeded.alice_id}))).await;
    assert_eq!(other.status, 200, "{:?}", other.body);
    let other_id = other.body["id"].as_str().unwrap();
    for path in [
        format!("/v1/organizations/{other_id}"),
        format!("/v1/organizations/{other_id}/memberships?{PAGE}"),
        format!("/v1/organizations/{other_id}/invitations"),
        "/v1/organizations/org_does_not_exist".to_owned(),
    ] {
        let r = bob.get(&path).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"), "{path}: {:?}", r.body);
    }
    // Alice created it, so she reads it, and her list now has both.
    assert_eq!(alice.get(&format!("/v1/organizations/{other_id}")).await.status, 200);
    let r = alice.get(&format!("/v1/me/organization_memberships?{PAGE}")).await;
    assert_eq!(r.body["response"]["total_count"], 2);
}
