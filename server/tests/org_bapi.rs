//! The Backend API's organizations over real HTTP, as @clerk/backend calls them
//! (`clerkClient.organizations.*`, JSON bodies): organizations by id or slug, the list and its
//! query, updates, metadata merged or replaced, deletion, memberships and invitations. The same
//! paths without an Authorization header are the Frontend API's.

mod common;

use common::orgs::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_are_created_read_listed_updated_and_deleted() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let carol = new_user(&t, "carol@example.com").await;
    let r = api
        .post(
            "/v1/organizations",
            Some(json!({"name": "Globex", "slug": "globex", "created_by": carol, "max_allowed_memberships": 3,
                        "public_metadata": {"plan": "pro"}, "private_metadata": {"crm": 7}})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["object"], "organization");
    assert_eq!(r.body["created_by"], carol.as_str());
    assert_eq!(r.body["members_count"], 1);
    assert_eq!(r.body["max_allowed_memberships"], 3);
    assert_eq!(r.body["public_metadata"], json!({"plan": "pro"}));
    assert_eq!(r.body["private_metadata"], json!({"crm": 7}));

    // Bad input: typed, nothing made.
    for (body, status, code, param) in [
        (json!({}), 422, "form_param_missing", Some("name")),
        (json!({"name": "x".repeat(257)}), 422, "form_param_max_length_exceeded", Some("name")),
        (json!({"name": "Dup", "slug": "globex"}), 422, "form_identifier_exists", Some("slug")),
        (json!({"name": "Bad", "slug": "Bad Slug"}), 422, "form_param_format_invalid", Some("slug")),
        (json!({"name": "Who", "created_by": "user_nope"}), 404, "resource_not_found", Some("created_by")),
        (json!({"name": "Meta", "public_metadata": "[1]"}), 422, "form_param_type_invalid", Some("public_metadata")),
    ] {
        let r = api.post("/v1/organizations", Some(body.clone())).await;
        assert_eq!(error(&r), (status, code.to_owned(), param.map(str::to_owned)), "{body}: {:?}", r.body);
    }

    // By id or by slug.
    assert_eq!(api.get(&format!("/v1/organizations/{id}")).await.body["slug"], "globex");
    assert_eq!(api.get("/v1/organizations/globex").await.body["id"], id.as_str());
    assert_eq!(error(&api.get("/v1/organizations/nope").await), (404, "resource_not_found".to_owned(), None));

    // The list: newest first, with the query filter on name and slug.
    let r = api.get("/v1/organizations?limit=10&offset=0").await;
    assert_eq!(r.body["total_count"], 2, "{:?}", r.body);
    assert_eq!(r.body["data"][0]["id"], id.as_str());
    assert_eq!(r.body["data"][1]["slug"], "acme");
    let r = api.get("/v1/organizations?query=ACM").await;
    assert_eq!((r.body["total_count"].as_u64(), r.body["data"][0]["slug"].as_str()), (Some(1), Some("acme")));
    let r = api.get("/v1/organizations?query=%25").await;
    assert_eq!(r.body["total_count"], 0, "% is literal");
    let r = api.get("/v1/organizations?limit=1&offset=1").await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(error(&api.get("/v1/organizations?limit=0").await).1, "form_param_value_invalid");

    // Updates; metadata merged (null removes a key) or replaced.
    let r = bapi_send(
        &api,
        Method::PATCH,
        &format!("/v1/organizations/{id}"),
        Some(json!({"name": "Globex Corp", "admin_delete_enabled": false})),
    )
    .await;
    assert_eq!((r.body["name"].as_str(), r.body["admin_delete_enabled"].as_bool()), (Some("Globex Corp"), Some(false)), "{:?}", r.body);
    let r = bapi_send(&api, Method::PATCH, &format!("/v1/organizations/{id}"), Some(json!({"slug": "acme"}))).await;
    assert_eq!(error(&r), (422, "form_identifier_exists".to_owned(), Some("slug".to_owned())));
    let r = bapi_send(
        &api,
        Method::PATCH,
        &format!("/v1/organizations/{id}/metadata"),
        Some(json!({"public_metadata": {"seats": 5, "plan": null}, "private_metadata": {"crm": {"id": 1}}})),
    )
    .await;
    assert_eq!(r.body["public_metadata"], json!({"seats": 5}), "{:?}", r.body);
    assert_eq!(r.body["private_metadata"], json!({"crm": {"id": 1}}));
    let r = bapi_send(
        &api,
        Method::PATCH,
        &format!("/v1/organizations/{id}/metadata"),
        Some(json!({"private_metadata": {"crm": {"tier": 2}}})),
    )
    .await;
    assert_eq!(r.body["private_metadata"], json!({"crm": {"id": 1, "tier": 2}}), "deep merge");
    let r =
        bapi_send(&api, Method::PUT, &format!("/v1/organizations/{id}/metadata"), Some(json!({"public_metadata": {"only": true}}))).await;
    assert_eq!(r.body["public_metadata"], json!({"only": true}));
    // The member sees the public metadata, never the private.
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let r = b.get(&format!("/v1/organizations/{id}")).await;
    assert_eq!(r.body["response"]["public_metadata"], json!({"only": true}));
    assert_eq!(r.body["response"].get("private_metadata"), None);
    // admin_delete_enabled false: the admin cannot delete it from the Frontend API.
    let r = tunnelled(&b, "DELETE", &format!("/v1/organizations/{id}"), &[]).await;
    assert_eq!(error(&r), (403, "organization_admin_delete_not_enabled".to_owned(), None));

    let r = bapi_send(&api, Method::DELETE, &format!("/v1/organizations/{id}"), None).await;
    assert_eq!(r.body, json!({"object": "organization", "id": id, "deleted": true}));
    assert_eq!(api.get(&format!("/v1/organizations/{id}")).await.status, 404);
    assert_eq!(api.get("/v1/organizations").await.body["total_count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memberships_and_invitations_through_the_backend_api() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let org = t.seeded.org_id.clone();
    let dave = new_user(&t, "dave@example.com").await;
    let members = format!("/v1/organizations/{org}/memberships");

    let r = api.get(&format!("{members}?limit=10&offset=0")).await;
    assert_eq!(r.body["total_count"], 2);
    assert_eq!(r.body["data"][0]["public_user_data"]["user_id"], t.seeded.alice_id.as_str());
    assert!(r.body["data"][0]["organization"]["private_metadata"].is_object());
    let r = api.get(&format!("{members}?role=org:member")).await;
    assert_eq!(r.body["total_count"], 1);

    let r = api.post(&members, Some(json!({"user_id": dave, "role": "org:member"}))).await;
    assert_eq!((r.status.as_u16(), r.body["role"].as_str()), (200, Some("org:member")), "{:?}", r.body);
    assert_eq!(r.body["organization"]["members_count"], 3);
    assert_eq!(r.body["public_user_data"]["identifier"], "dave@example.com");
    let r = api.post(&members, Some(json!({"user_id": dave, "role": "org:member"}))).await;
    assert_eq!(error(&r).1, "already_a_member_in_organization");
    let r = api.post(&members, Some(json!({"user_id": dave, "role": "boss"}))).await;
    assert_eq!(error(&r), (422, "form_param_value_invalid".to_owned(), Some("role".to_owned())));
    let r = api.post("/v1/organizations/org_nope/memberships", Some(json!({"user_id": dave, "role": "org:member"}))).await;
    assert_eq!(error(&r).0, 404);

    let r = bapi_send(&api, Method::PATCH, &format!("{members}/{dave}"), Some(json!({"role": "org:admin"}))).await;
    assert_eq!(r.body["role"], "org:admin", "{:?}", r.body);
    // The token of dave's session follows (Backend API changes reach the Frontend API).
    let (b, sid) = signed_in(&t, "dave@example.com").await;
    b.post(&format!("/v1/client/sessions/{sid}/touch"), &[("active_organization_id", &org)]).await;
    assert_eq!(claims(&b, &sid).await["o"]["rol"], "admin");
    let r = bapi_send(&api, Method::DELETE, &format!("{members}/{dave}"), None).await;
    assert_eq!(r.body["public_user_data"]["user_id"], dave.as_str(), "{:?}", r.body);
    assert!(claims(&b, &sid).await.get("o").is_none());
    // The last admin (alice) cannot be demoted or removed here either.
    let alice = &t.seeded.alice_id;
    let r = bapi_send(&api, Method::PATCH, &format!("{members}/{alice}"), Some(json!({"role": "org:member"}))).await;
    assert_eq!(error(&r), (403, "organization_minimum_permissions_needed".to_owned(), None));
    let r = bapi_send(&api, Method::DELETE, &format!("{members}/{alice}"), None).await;
    assert_eq!(error(&r).1, "organization_minimum_permissions_needed");
    assert_eq!(error(&bapi_send(&api, Method::DELETE, &format!("{members}/{dave}"), None).await).0, 404);

    // Invitations.
    let invitations = format!("/v1/organizations/{org}/invitations");
    let r = api
        .post(&invitations, Some(json!({"email_address": "ivy@example.com", "role": "org:member", "public_metadata": {"from": "crm"}})))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let inv = r.body.clone();
    assert_eq!((inv["status"].as_str(), inv["public_metadata"]["from"].as_str()), (Some("pending"), Some("crm")));
    assert_eq!(inv["private_metadata"], json!({}));
    assert!(inv["expires_at"].as_i64().unwrap() > inv["created_at"].as_i64().unwrap());
    assert_eq!(inv["url"], Value::Null);
    let id = inv["id"].as_str().unwrap();
    let r = api.get(&format!("{invitations}/{id}")).await;
    assert_eq!(r.body["email_address"], "ivy@example.com");
    let r = api.get(&format!("{invitations}?status=pending")).await;
    assert_eq!(r.body["total_count"], 1);
    let r = api.post(&invitations, Some(json!({"email_address": "ivy@example.com", "role": "org:member"}))).await;
    assert_eq!(error(&r).1, "duplicate_record");
    let r = api.post(&format!("{invitations}/{id}/revoke"), None).await;
    assert_eq!(r.body["status"], "revoked", "{:?}", r.body);
    let r = api.get(&format!("{invitations}?status=pending")).await;
    assert_eq!(r.body["total_count"], 0);
    let r = api.get(&format!("{invitations}?status=revoked&limit=10&offset=0")).await;
    assert_eq!(r.body["total_count"], 1);
    assert_eq!(error(&api.get(&format!("{invitations}/orginv_nope")).await).0, 404);

    // Bulk: each with its role, all or none.
    let bulk = format!("{invitations}/bulk");
    let r = api
        .post(&bulk, Some(json!([{"email_address": "j1@example.com", "role": "org:admin"}, {"email_address": "j2@example.com", "role": "org:member"}])))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let roles: Vec<(&str, &str)> =
        r.body.as_array().unwrap().iter().map(|i| (i["email_address"].as_str().unwrap(), i["role"].as_str().unwrap())).collect();
    assert_eq!(roles, [("j1@example.com", "org:admin"), ("j2@example.com", "org:member")]);
    let r = api
        .post(&bulk, Some(json!([{"email_address": "j3@example.com", "role": "org:member"}, {"email_address": "J3@example.com", "role": "org:member"}])))
        .await;
    assert_eq!(error(&r).1, "duplicate_record");
    assert_eq!(error(&api.post(&bulk, Some(json!([]))).await), (422, "form_param_missing".to_owned(), Some("email_address".to_owned())));
    let r = api.get(&format!("{invitations}?status=pending")).await;
    assert_eq!(r.body["total_count"], 2, "j3 was not invited: {:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_on_a_shared_path_is_refused_and_no_key_is_the_frontend_api() {
    let t = TestServer::start().await;
    let http = reqwest::Client::new();
    let r = into_resp(http.get(t.url("/v1/organizations")).bearer_auth("sk_test_wrong").send().await.unwrap()).await;
    assert_eq!(error(&r), (401, "authentication_invalid".to_owned(), None));
    let r = into_resp(http.get(t.url(&format!("/v1/organizations/{}", t.seeded.org_id))).send().await.unwrap()).await;
    assert_eq!(error(&r), (401, "signed_out".to_owned(), None));
}
