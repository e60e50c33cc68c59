//! The generic resource operation (`Call::Resource`) that every account and organization method
//! of the object layer goes through: the request as clerk-js sends it, the client it answers
//! with applied and emitted, cached tokens forgotten after a change, typed errors.

mod support;

use serde_json::json;
use support::*;

fn loaded() -> (std::rc::Rc<FakeFapi>, Clerk) {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    block_on(clerk.load()).unwrap();
    (fake, clerk)
}

#[test]
fn a_mutation_is_sent_as_clerk_js_sends_it_and_its_client_is_applied() {
    let (fake, clerk) = loaded();
    let log = recorder(&clerk);
    let heard = log.borrow().len();
    let mut client = fake.client.borrow().clone();
    client["sessions"][0]["user"]["first_name"] = json!("Ada");
    let user = client["sessions"][0]["user"].clone();
    fake.respond_once("/me", 200, &json!({"response": user, "client": client}).to_string());
    let args = r#"{"verb":"PATCH","path":["me"],"params":{"firstName":"Ada","unsafeMetadata":{"plan":"pro"},"lastName":null}}"#;
    let answer = block_on(clerk.call(Call::Resource, args, None)).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&answer).unwrap()["first_name"], "Ada");

    let sent = fake.requests.borrow().last().cloned().unwrap();
    assert_eq!((sent.method, sent.path.as_str()), (Method::Post, "/v1/me"));
    assert_eq!(sent.query.get("_method").map(String::as_str), Some("PATCH"));
    assert_eq!(sent.query.get("_clerk_session_id").map(String::as_str), Some("sess_a"));
    assert_eq!(sent.body, Some(Body::Form("first_name=Ada&unsafe_metadata=%7B%22plan%22%3A%22pro%22%7D&last_name=".into())));
    // The answer's client replaced ours, and listeners heard it.
    let session = clerk.session("sess_a").unwrap();
    assert_eq!(session.user.as_ref().and_then(|u| u.get("first_name")).and_then(Json::as_str), Some("Ada"));
    assert_eq!(log.borrow().len(), heard + 1);
}

#[test]
fn a_change_forgets_the_active_sessions_tokens_and_a_read_does_not() {
    let (fake, clerk) = loaded();
    let options = GetTokenOptions { throw_on_error: true, ..Default::default() };
    block_on(clerk.get_token("sess_a", &options)).unwrap();
    assert_eq!(fake.minted(), 1);
    let page = json!({"response": {"data": [], "total_count": 0}, "client": null}).to_string();
    fake.respond_once("/memberships", 200, &page);
    let list = r#"{"verb":"GET","path":["organizations","org_1","memberships"],"query":{"role":["org:admin","org:member"],"limit":10},"list":true}"#;
    block_on(clerk.call(Call::Resource, list, None)).unwrap();
    block_on(clerk.get_token("sess_a", &options)).unwrap();
    assert_eq!(fake.minted(), 1, "a GET keeps the cached token");
    let sent = fake.requests.borrow().iter().rev().find(|r| r.path.ends_with("/memberships")).cloned().unwrap();
    assert_eq!(sent.method, Method::Get);
    assert!(sent.raw_query.contains("role=org%3Aadmin&role=org%3Amember&limit=10"), "{}", sent.raw_query);
    assert_eq!(sent.body, None);

    fake.respond_once("/memberships/user_b", 200, r#"{"response": {"object": "organization_membership", "id": "mem_1"}, "client": null}"#);
    let change = r#"{"verb":"PATCH","path":["organizations","org_1","memberships","user_b"],"params":{"role":"org:admin"}}"#;
    block_on(clerk.call(Call::Resource, change, None)).unwrap();
    block_on(clerk.get_token("sess_a", &options)).unwrap();
    assert_eq!(fake.minted(), 2, "the role change may have changed the token's claims");
}

#[test]
fn lists_must_have_data_and_bare_lists_pass_through() {
    let (fake, clerk) = loaded();
    fake.respond_once("/invitations", 200, r#"{"response": {"total_count": 0}, "client": null}"#);
    let list = r#"{"verb":"GET","path":["organizations","org_1","invitations"],"list":true}"#;
    assert_eq!(block_on(clerk.call(Call::Resource, list, None)).unwrap_err().code, "unexpected_response");
    fake.respond_once("/sessions/active", 200, r#"[{"object": "session", "id": "sess_a"}]"#);
    let active = block_on(clerk.call(Call::Resource, r#"{"verb":"GET","path":["me","sessions","active"]}"#, None)).unwrap();
    assert_eq!(active, r#"[{"object":"session","id":"sess_a"}]"#);
}

#[test]
fn server_errors_are_typed_and_change_nothing() {
    let (fake, clerk) = loaded();
    let before = clerk.snapshot();
    let body = r#"{"errors":[{"code":"form_identifier_exists","message":"That email address is taken.","long_message":"That email address is taken. Please try another.","meta":{"param_name":"email_address"}}]}"#;
    fake.respond_once("/email_addresses", 422, body);
    let e =
        block_on(clerk.call(Call::Resource, r#"{"verb":"POST","path":["me","email_addresses"],"params":{"emailAddress":"a@b.c"}}"#, None))
            .unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("form_identifier_exists", Some(422)));
    // As the server sent it; the object layer shows it as clerk-js's `meta.paramName`.
    assert_eq!(e.meta.as_ref().and_then(|m| m.get("param_name")).and_then(Json::as_str), Some("email_address"));
    assert_eq!(clerk.snapshot(), before);
    // An id that would leave its path is refused before any request.
    let sent = fake.requests.borrow().len();
    let e = block_on(clerk.call(Call::Resource, r#"{"verb":"DELETE","path":["me","email_addresses","../../client"]}"#, None)).unwrap_err();
    assert_eq!(e.code, "invalid_argument");
    assert_eq!(fake.requests.borrow().len(), sent);
}

#[test]
fn a_file_is_uploaded_as_one_multipart_part() {
    let (fake, clerk) = loaded();
    fake.respond_once(
        "/profile_image",
        200,
        r#"{"response": {"object": "image", "id": "img_1", "public_url": "http://x/img_1"}, "client": null}"#,
    );
    let args = r#"{"verb":"POST","path":["me","profile_image"],"file":{"name":"me.png","type":"image/png","bytes":"\u0089PNG"}}"#;
    block_on(clerk.call(Call::Resource, args, None)).unwrap();
    let sent = fake.requests.borrow().last().cloned().unwrap();
    let Some(Body::Bytes { content_type, bytes }) = sent.body else { panic!("{:?}", sent.body) };
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
    let mut expected =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n")
            .into_bytes();
    expected.extend_from_slice(&[0x89, b'P', b'N', b'G']);
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(bytes, expected);
}

#[test]
fn nothing_is_sent_before_load() {
    let fake = FakeFapi::two_sessions();
    let clerk = fake.clerk();
    let e = block_on(clerk.call(Call::Resource, r#"{"verb":"GET","path":["me"]}"#, None)).unwrap_err();
    assert_eq!(e.code, "clerk_not_loaded");
    assert!(fake.requests.borrow().is_empty());
}
