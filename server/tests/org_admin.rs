//! Organization administration on the Frontend API, over real HTTP, as clerk-js 6.40 sends it:
//! creating, renaming and deleting an organization, its logo and roles, its members (add,
//! change role, remove, leave), the last-admin rule, what a member may not do, and the session
//! token following membership changes.

mod common;

/// A form body's fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

use common::orgs::*;
use common::*;
use serde_json::{Value, json};

const PAGE: &str = "paginated=true&limit=10&offset=0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_organization_makes_the_creator_its_admin() {
    let t = TestServer::start().await;
    let carol = new_user(&t, "carol@example.com").await;
    let (b, sid) = signed_in(&t, "carol@example.com").await;

    let r = b.post(&format!("/v1/organizations?_clerk_session_id={sid}"), &[("name", "  Initech  "), ("slug", "initech")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let o = &r.body["response"];
    assert_eq!(o["object"], "organization");
    assert_eq!(o["name"], "Initech", "the name is trimmed");
    assert_eq!(o["slug"], "initech");
    assert_eq!(o["members_count"], 1);
    assert_eq!(o["pending_invitations_count"], 0);
    assert_eq!(o["has_image"], false);
    assert_eq!(o["image_url"], "");
    assert_eq!(o["admin_delete_enabled"], true);
    assert_eq!(o["public_metadata"], json!({}));
    assert!(o.get("private_metadata").is_none(), "private metadata is the Backend API's");
    // The envelope's client already shows the new membership on the user.
    let user = &r.body["client"]["sessions"][0]["user"];
    let m = &user["organization_memberships"][0];
    assert_eq!(m["organization"]["id"], o["id"]);
    assert_eq!(m["role"], "org:admin");
    assert_eq!(m["permissions"].as_array().unwrap().len(), 6);

    // Without a slug one is derived from the name.
    let o2 = create_org(&b, "Umbrella Corp.", "").await;
    assert_eq!(o2["slug"], "umbrella-corp");
    // The Backend API sees it, with its creator.
    let r = t.bapi().get(&format!("/v1/organizations/{}", o2["id"].as_str().unwrap())).await;
    assert_eq!(r.body["created_by"], carol.as_str());
    assert_eq!(r.body["members_count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_and_slugs_get_typed_422s_and_create_nothing() {
    let t = TestServer::start().await;
    new_user(&t, "carol@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let long = "x".repeat(257);
    let cases: Vec<(Form, u16, &str, &str)> = vec![
        (vec![], 422, "form_param_missing", "name"),
        (vec![("name", "")], 422, "form_param_missing", "name"),
        (vec![("name", "   ")], 422, "form_param_missing", "name"),
        (vec![("name", &long)], 422, "form_param_max_length_exceeded", "name"),
        (vec![("name", "Ok"), ("slug", "Has Spaces")], 422, "form_param_format_invalid", "slug"),
        (vec![("name", "Ok"), ("slug", "UPPER")], 422, "form_param_format_invalid", "slug"),
        (vec![("name", "Ok"), ("slug", "-dash")], 422, "form_param_format_invalid", "slug"),
        (vec![("name", "Ok"), ("slug", "acme")], 422, "form_identifier_exists", "slug"),
    ];
    for (form, status, code, param) in cases {
        let r = b.post("/v1/organizations", &form).await;
        assert_eq!(error(&r), (status, code.to_owned(), Some(param.to_owned())), "{form:?}: {:?}", r.body);
        assert_eq!(r.content_type, "application/json");
    }
    // 256 characters is allowed.
    let ok = "y".repeat(256);
    assert_eq!(create_org(&b, &ok, "long-name").await["name"].as_str().map(str::len), Some(256));
    let r = t.bapi().get("/v1/organizations?limit=100").await;
    assert_eq!(r.body["total_count"], 2, "only Acme and the good one: {:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizations_setting_and_the_creation_limit_are_honoured() {
    let t = TestServer::start_with(|c| c.organizations = false).await;
    new_user(&t, "carol@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let r = b.post("/v1/organizations", &[("name", "Initech")]).await;
    assert_eq!(error(&r), (403, "organizations_disabled".to_owned(), None), "{:?}", r.body);
    let env = b.get("/v1/environment").await;
    assert_eq!(env.body["organization_settings"]["enabled"], false);

    let t = TestServer::start_with(|c| c.org_creation_limit = Some(1)).await;
    new_user(&t, "carol@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    create_org(&b, "First", "first").await;
    let r = b.post("/v1/organizations", &[("name", "Second")]).await;
    assert_eq!(error(&r), (403, "organization_creation_limit_exceeded".to_owned(), None), "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_rename_and_delete_members_may_not() {
    let t = TestServer::start().await;
    let dave = new_user(&t, "dave@example.com").await;
    new_user(&t, "carol@example.com").await;
    let (carol, _) = signed_in(&t, "carol@example.com").await;
    let o = create_org(&carol, "Initech", "initech").await;
    let id = o["id"].as_str().unwrap().to_owned();
    let r = carol.post(&format!("/v1/organizations/{id}/memberships"), &[("user_id", &dave), ("role", "org:member")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (dave_b, _) = signed_in(&t, "dave@example.com").await;

    // A member reads but may not change, delete, invite, add or set a logo.
    assert_eq!(dave_b.get(&format!("/v1/organizations/{id}")).await.status, 200);
    let denied = [
        tunnelled(&dave_b, "PATCH", &format!("/v1/organizations/{id}"), &[("name", "Mine")]).await,
        tunnelled(&dave_b, "DELETE", &format!("/v1/organizations/{id}"), &[]).await,
        dave_b.post(&format!("/v1/organizations/{id}/memberships"), &[("user_id", &dave), ("role", "org:admin")]).await,
        tunnelled(&dave_b, "PATCH", &format!("/v1/organizations/{id}/memberships/{dave}"), &[("role", "org:admin")]).await,
        dave_b.post(&format!("/v1/organizations/{id}/invitations"), &[("email_address", "x@example.com"), ("role", "org:member")]).await,
        tunnelled(&dave_b, "DELETE", &format!("/v1/organizations/{id}/logo"), &[]).await,
        dave_b.post(&format!("/v1/organizations/{id}/domains"), &[("name", "initech.com")]).await,
    ];
    for r in &denied {
        assert_eq!(error(r), (403, "authorization_invalid".to_owned(), None), "{:?}", r.body);
    }
    let r = t.bapi().get(&format!("/v1/organizations/{id}")).await;
    assert_eq!((r.body["name"].as_str(), r.body["members_count"].as_u64()), (Some("Initech"), Some(2)), "nothing changed");

    // The admin renames; a taken or malformed slug is refused.
    let r = tunnelled(&carol, "PATCH", &format!("/v1/organizations/{id}"), &[("name", "Initrode"), ("slug", "initrode")]).await;
    assert_eq!((r.body["response"]["name"].as_str(), r.body["response"]["slug"].as_str()), (Some("Initrode"), Some("initrode")));
    let r = tunnelled(&carol, "PATCH", &format!("/v1/organizations/{id}"), &[("slug", "acme")]).await;
    assert_eq!(error(&r), (422, "form_identifier_exists".to_owned(), Some("slug".to_owned())));
    let r = tunnelled(&carol, "PATCH", &format!("/v1/organizations/{id}"), &[("name", "")]).await;
    assert_eq!(error(&r), (422, "form_param_missing".to_owned(), Some("name".to_owned())));
    // Metadata is the Backend API's: the Frontend API ignores it.
    tunnelled(&carol, "PATCH", &format!("/v1/organizations/{id}"), &[("public_metadata", "{\"plan\":\"pro\"}")]).await;
    assert_eq!(t.bapi().get(&format!("/v1/organizations/{id}")).await.body["public_metadata"], json!({}));

    // Deleting: a deleted object; the organization is gone for everyone.
    let r = tunnelled(&carol, "DELETE", &format!("/v1/organizations/{id}"), &[]).await;
    assert_eq!(r.body["response"], json!({"object": "organization", "id": id, "deleted": true}));
    assert_eq!(error(&dave_b.get(&format!("/v1/organizations/{id}")).await).0, 404);
    assert_eq!(t.bapi().get(&format!("/v1/organizations/{id}")).await.status, 404);
    let r = dave_b.get(&format!("/v1/me/organization_memberships?{PAGE}")).await;
    assert_eq!(r.body["response"]["total_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_added_changed_and_removed_but_an_admin_remains() {
    let t = TestServer::start().await;
    let carol = new_user(&t, "carol@example.com").await;
    let dave = new_user(&t, "dave@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let id = create_org(&b, "Initech", "initech").await["id"].as_str().unwrap().to_owned();
    let members = format!("/v1/organizations/{id}/memberships");

    // Bad input first: nothing is written.
    let bad = [
        (b.post(&members, &[("role", "org:member")]).await, 422, "form_param_missing", Some("user_id")),
        (b.post(&members, &[("user_id", &dave)]).await, 422, "form_param_missing", Some("role")),
        (b.post(&members, &[("user_id", &dave), ("role", "org:owner")]).await, 422, "form_param_value_invalid", Some("role")),
        (b.post(&members, &[("user_id", "user_nope"), ("role", "org:member")]).await, 404, "resource_not_found", Some("user_id")),
        (b.post(&members, &[("user_id", &carol), ("role", "org:member")]).await, 400, "already_a_member_in_organization", Some("user_id")),
    ];
    for (r, status, code, param) in &bad {
        assert_eq!(error(r), (*status, code.to_string(), param.map(str::to_owned)), "{:?}", r.body);
    }
    let r = b.get(&format!("{members}?{PAGE}")).await;
    assert_eq!(r.body["response"]["total_count"], 1);

    let r = b.post(&members, &[("user_id", &dave), ("role", "org:member")]).await;
    assert_eq!(r.body["response"]["role"], "org:member", "{:?}", r.body);
    assert_eq!(r.body["response"]["public_user_data"]["user_id"], dave.as_str());
    assert_eq!(r.body["response"]["organization"]["members_count"], 2);

    // Filters: role, and `query` over names and addresses.
    let r = b.get(&format!("{members}?{PAGE}&role=org%3Amember")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
    let r = b.get(&format!("{members}?{PAGE}&query=DAVE%40")).await;
    assert_eq!(r.body["response"]["total_count"], 1);
    assert_eq!(r.body["response"]["data"][0]["public_user_data"]["identifier"], "dave@example.com");
    let r = b.get(&format!("{members}?{PAGE}&query=nobody")).await;
    assert_eq!(r.body["response"], json!({"data": [], "total_count": 0}));

    // The only admin cannot be demoted or removed, nor leave.
    let last = (403, "organization_minimum_permissions_needed".to_owned(), None);
    assert_eq!(error(&tunnelled(&b, "PATCH", &format!("{members}/{carol}"), &[("role", "org:member")]).await), last);
    assert_eq!(error(&tunnelled(&b, "DELETE", &format!("{members}/{carol}"), &[]).await), last);
    assert_eq!(error(&tunnelled(&b, "DELETE", &format!("/v1/me/organization_memberships/{id}"), &[]).await), last);
    // With a second admin, she can.
    let r = tunnelled(&b, "PATCH", &format!("{members}/{dave}"), &[("role", "org:admin")]).await;
    assert_eq!(r.body["response"]["role"], "org:admin", "{:?}", r.body);
    let r = tunnelled(&b, "PATCH", &format!("{members}/{carol}"), &[("role", "org:member")]).await;
    assert_eq!(r.body["response"]["role"], "org:member", "{:?}", r.body);
    // Now carol is a member: she may no longer manage.
    let r = tunnelled(&b, "PATCH", &format!("{members}/{dave}"), &[("role", "org:member")]).await;
    assert_eq!(error(&r).1, "authorization_invalid");
    // A non-member's membership is a 404 (dave removes a user who is not in it).
    let (d, _) = signed_in(&t, "dave@example.com").await;
    let r = tunnelled(&d, "DELETE", &format!("{members}/{}", t.seeded.bob_id), &[]).await;
    assert_eq!(error(&r), (404, "resource_not_found".to_owned(), None));
    // Dave removes carol: the removed membership comes back.
    let r = tunnelled(&d, "DELETE", &format!("{members}/{carol}"), &[]).await;
    assert_eq!(r.body["response"]["object"], "organization_membership", "{:?}", r.body);
    assert_eq!(r.body["response"]["public_user_data"]["user_id"], carol.as_str());
    assert_eq!(r.body["response"]["organization"]["members_count"], 1);
    assert_eq!(error(&b.get(&format!("/v1/organizations/{id}")).await).0, 404, "carol is out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_and_the_token_follow_the_membership() {
    let t = TestServer::start().await;
    new_user(&t, "carol@example.com").await;
    let dave = new_user(&t, "dave@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let id = create_org(&b, "Initech", "initech").await["id"].as_str().unwrap().to_owned();
    b.post(&format!("/v1/organizations/{id}/memberships"), &[("user_id", &dave), ("role", "org:member")]).await;

    let (d, dsid) = signed_in(&t, "dave@example.com").await;
    let r = d.post(&format!("/v1/client/sessions/{dsid}/touch"), &[("active_organization_id", &id)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let c = claims(&d, &dsid).await;
    assert_eq!((c["o"]["id"].as_str(), c["o"]["rol"].as_str()), (Some(id.as_str()), Some("member")), "{c}");

    // Promoted: the next token says admin.
    tunnelled(&b, "PATCH", &format!("/v1/organizations/{id}/memberships/{dave}"), &[("role", "org:admin")]).await;
    assert_eq!(claims(&d, &dsid).await["o"]["rol"], "admin");
    // Demoted again, then he leaves: a deleted object, no organization in the token, and the
    // session has no active organization any more.
    tunnelled(&b, "PATCH", &format!("/v1/organizations/{id}/memberships/{dave}"), &[("role", "org:member")]).await;
    let r = tunnelled(&d, "DELETE", &format!("/v1/me/organization_memberships/{id}"), &[]).await;
    assert_eq!(r.body["response"]["object"], "organization_membership", "{:?}", r.body);
    assert_eq!(r.body["response"]["deleted"], true);
    assert_eq!(r.body["client"]["sessions"][0]["last_active_organization_id"], Value::Null);
    assert_eq!(r.body["client"]["sessions"][0]["user"]["organization_memberships"], json!([]));
    assert!(claims(&d, &dsid).await.get("o").is_none());
    // Leaving again: not a member.
    let r = tunnelled(&d, "DELETE", &format!("/v1/me/organization_memberships/{id}"), &[]).await;
    assert_eq!(error(&r), (404, "resource_not_found".to_owned(), None));
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

fn multipart(field: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----clerk-server-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logos_are_stored_served_replaced_and_removed() {
    let t = TestServer::start().await;
    new_user(&t, "carol@example.com").await;
    let (b, _) = signed_in(&t, "carol@example.com").await;
    let id = create_org(&b, "Initech", "initech").await["id"].as_str().unwrap().to_owned();
    let logo = format!("/v1/organizations/{id}/logo?_method=PUT");

    let (ct, body) = multipart("file", PNG);
    let r = b.post_raw(&logo, &ct, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["has_image"], true);
    let url = r.body["response"]["image_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/v1/images/img_", t.server.url())), "{url}");
    let img = reqwest::get(&url).await.unwrap();
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
    assert_eq!(img.bytes().await.unwrap().as_ref(), PNG);

    // A raw body (setLogo with a string) and a data URL work too; the old image is gone.
    use base64::Engine;
    let data_url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(PNG));
    let r = b.post_raw(&logo, "application/octet-stream", data_url.into_bytes()).await;
    let url2 = r.body["response"]["image_url"].as_str().unwrap().to_owned();
    assert_ne!(url, url2);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    assert_eq!(reqwest::get(&url2).await.unwrap().status(), 200);

    // Not an image, no file, too large: refused, the logo stays.
    let (ct, body) = multipart("file", b"GIF-not-really, just text");
    assert_eq!(error(&b.post_raw(&logo, &ct, body).await), (422, "form_param_format_invalid".to_owned(), Some("file".to_owned())));
    let (ct, body) = multipart("other", PNG);
    assert_eq!(error(&b.post_raw(&logo, &ct, body).await), (422, "form_param_missing".to_owned(), Some("file".to_owned())));
    let mut huge = PNG.to_vec();
    huge.resize(10 * 1024 * 1024 + 1, 0);
    let r = b.post_raw(&logo, "application/octet-stream", huge).await;
    // The same answer as for a profile image (`clerk_server::images`).
    assert_eq!(error(&r), (413, "image_too_large".to_owned(), Some("file".to_owned())));
    // A logo of 100 KiB (over the other routes' 64 KiB) is fine.
    let mut big = PNG.to_vec();
    big.resize(100 * 1024, 0);
    assert_eq!(b.post_raw(&logo, "application/octet-stream", big).await.status, 200);
    let r = b.get(&format!("/v1/organizations/{id}")).await;
    assert_eq!(r.body["response"]["has_image"], true);

    // Removing it.
    let r = tunnelled(&b, "DELETE", &format!("/v1/organizations/{id}/logo"), &[]).await;
    assert_eq!((r.body["response"]["has_image"].as_bool(), r.body["response"]["image_url"].as_str()), (Some(false), Some("")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_list_the_system_permissions() {
    let t = TestServer::start().await;
    let (b, _) = signed_in(&t, "bob@example.com").await;
    let r = b.get(&format!("/v1/organizations/{}/roles?limit=10&offset=0", t.seeded.org_id)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let page = &r.body["response"];
    assert_eq!(page["total_count"], 2);
    assert_eq!(page["has_role_set_migration"], false);
    let admin = &page["data"][0];
    assert_eq!((admin["object"].as_str(), admin["key"].as_str(), admin["name"].as_str()), (Some("role"), Some("org:admin"), Some("Admin")));
    let keys: Vec<&str> = admin["permissions"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "org:sys_profile:manage",
            "org:sys_profile:delete",
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_domains:read",
            "org:sys_domains:manage"
        ]
    );
    assert_eq!(admin["permissions"][0]["type"], "system");
    assert_eq!(page["data"][1]["key"], "org:member");
    let r = b.get(&format!("/v1/organizations/{}/roles?limit=1&offset=1", t.seeded.org_id)).await;
    assert_eq!(r.body["response"]["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["response"]["data"][0]["key"], "org:member");
    // The creation defaults clerk-js 6.40 reads.
    let r = b.get("/v1/me/organization_creation_defaults").await;
    assert_eq!(r.body["response"]["advisory"], Value::Null);
    assert_eq!(r.body["response"]["form"]["name"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_demoted_at_once_leave_one_admin() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let org = t.seeded.org_id.clone();
    let members = format!("/v1/organizations/{org}/memberships");
    let (alice, bob) = (t.seeded.alice_id.clone(), t.seeded.bob_id.clone());
    for round in 0..5 {
        let r = bapi_send(&api, reqwest::Method::PATCH, &format!("{members}/{bob}"), Some(json!({"role": "org:admin"}))).await;
        assert_eq!(r.body["role"], "org:admin", "{:?}", r.body);
        // Both demotions race: each alone would be allowed (another admin remains).
        let (pa, pb) = (format!("{members}/{alice}"), format!("{members}/{bob}"));
        let (a, b) = tokio::join!(
            bapi_send(&api, reqwest::Method::PATCH, &pa, Some(json!({"role": "org:member"}))),
            bapi_send(&api, reqwest::Method::PATCH, &pb, Some(json!({"role": "org:member"}))),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 403], "round {round}: {:?} {:?}", a.body, b.body);
        let r = api.get(&format!("{members}?role=org:admin")).await;
        assert_eq!(r.body["total_count"], 1, "round {round}: one admin remains");
        // Put alice back as the admin for the next round.
        bapi_send(&api, reqwest::Method::PATCH, &format!("{members}/{alice}"), Some(json!({"role": "org:admin"}))).await;
        bapi_send(&api, reqwest::Method::PATCH, &format!("{members}/{bob}"), Some(json!({"role": "org:member"}))).await;
    }
}
