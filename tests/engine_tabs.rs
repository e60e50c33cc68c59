//! Cross-tab sync: what one tab does reaches the others through the broadcast channel,
//! without requests to the server.

mod support;

use serde_json::json;
use support::*;

fn requests(fake: &FakeFapi) -> usize {
    fake.requests.borrow().len()
}

#[test]
fn a_session_switch_reaches_the_other_tab_without_requests() {
    let (fake, hub, a, b) = two_tabs();
    let log = recorder(&b);
    block_on(a.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    let before = requests(&fake);
    hub.deliver();
    assert_eq!(describe(&b.resources()), "sess_b:null");
    assert_eq!(requests(&fake), before);
    assert_eq!(log.borrow().last().unwrap(), "sess_b:null");
    assert!(!log.borrow().iter().any(|s| s.starts_with("undefined")), "no half state: {:?}", log.borrow());
}

#[test]
fn an_organization_switch_reaches_the_other_tab() {
    let (fake, hub, a, b) = two_tabs();
    block_on(a.set_active(Selection::Keep, Selection::Id("org_1".into()), None)).unwrap();
    let before = requests(&fake);
    hub.deliver();
    assert_eq!(describe(&b.resources()), "sess_a:org_1");
    // The touch answer carried an org token in tab A; tab B got it too.
    let t = block_on(b.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    assert_eq!(claims(&t).o.unwrap().id, "org_1");
    assert_eq!(requests(&fake), before);
}

#[test]
fn sign_out_reaches_the_other_tab_and_drops_its_tokens() {
    let (fake, hub, a, b) = two_tabs();
    block_on(b.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    block_on(a.session_end("sess_a")).unwrap();
    let before = requests(&fake);
    hub.deliver();
    assert_eq!(describe(&b.resources()), "null:null");
    assert_eq!(requests(&fake), before);
    let err = block_on(b.get_token("sess_a", &GetTokenOptions::default())).unwrap_err();
    assert_eq!(err.code, "session_not_active");
    assert_eq!(requests(&fake), before, "refused locally: the session is known to be ended");
}

#[test]
fn a_new_token_is_shared_with_the_other_tab() {
    let (fake, hub, a, b) = two_tabs();
    let from_a = block_on(a.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    hub.deliver();
    let before = requests(&fake);
    let in_b = block_on(b.get_token("sess_a", &GetTokenOptions::default())).unwrap();
    assert_eq!(in_b, from_a);
    assert_eq!(requests(&fake), before);
}

#[test]
fn a_session_signed_in_elsewhere_is_learned_with_one_reload() {
    let (fake, hub, a, b) = two_tabs();
    {
        let mut client = fake.client.borrow_mut();
        let new = session("sess_c", user("user_c", &[]));
        client["sessions"].as_array_mut().unwrap().push(new);
    }
    block_on(a.client_reload()).unwrap();
    block_on(a.set_active(Selection::Id("sess_c".into()), Selection::Keep, None)).unwrap();
    let reloads = fake.count("/v1/client");
    hub.deliver();
    fake.run_background();
    hub.deliver();
    assert_eq!(fake.count("/v1/client"), reloads + 1);
    assert_eq!(describe(&b.resources()), "sess_c:null");
}

#[test]
fn tabs_do_not_echo_each_other_and_ignore_garbage() {
    let (_fake, hub, a, b) = two_tabs();
    hub.posted.borrow_mut().clear();
    block_on(a.set_active(Selection::Id("sess_b".into()), Selection::Keep, None)).unwrap();
    hub.deliver();
    let posted = hub.posted.borrow().len();
    assert!(posted <= 3, "{posted} messages for one switch: {:?}", hub.posted.borrow());
    for garbage in [
        "",
        "null",
        "{}",
        r#"{"t":"state"}"#,
        r#"{"t":"token","sid":"sess_a","jwt":"x.y.z"}"#,
        &json!({"t": "state", "active": "sess_a", "org": null, "sessions": 5}).to_string(),
    ] {
        b.receive_broadcast(garbage);
    }
    assert_eq!(describe(&b.resources()), "sess_b:null");
}
