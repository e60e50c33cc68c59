use clerk_token::{InstanceType, KeyError, PublishableKey, encode_publishable_key, parse_publishable_key};

#[test]
fn parses_the_documented_example() {
    assert_eq!(
        parse_publishable_key("pk_test_MTI3LjAuMC4xOjQwMDEk").unwrap(),
        PublishableKey { instance_type: InstanceType::Development, frontend_api: "127.0.0.1:4001".into() }
    );
}

#[test]
fn encode_parse_round_trip() {
    for instance_type in [InstanceType::Development, InstanceType::Production] {
        for host in ["127.0.0.1:4001", "clerk.example.com", "a.b", "my-app.clerk.accounts.dev"] {
            let key = encode_publishable_key(instance_type, host);
            let parsed = parse_publishable_key(&key).unwrap();
            assert_eq!(parsed, PublishableKey { instance_type, frontend_api: host.into() }, "{key}");
        }
    }
    assert_eq!(encode_publishable_key(InstanceType::Development, "127.0.0.1:4001"), "pk_test_MTI3LjAuMC4xOjQwMDEk");
    assert!(encode_publishable_key(InstanceType::Production, "clerk.example.com").starts_with("pk_live_"));
}

#[test]
fn padding_is_optional() {
    // "clerk.example.io$" is 17 bytes: its base64 needs "=" padding.
    let padded = encode_publishable_key(InstanceType::Production, "clerk.example.io");
    assert!(padded.ends_with('='), "{padded}");
    let unpadded = padded.trim_end_matches('=');
    assert_eq!(parse_publishable_key(unpadded).unwrap(), parse_publishable_key(&padded).unwrap());
}

#[test]
fn malformed_keys_are_refused_with_clear_messages() {
    let err = |key: &str| parse_publishable_key(key).unwrap_err();
    for key in ["", "sk_test_MTI3LjAuMC4xOjQwMDEk", "pk_MTI3LjAuMC4xOjQwMDEk", "PK_TEST_MTI3LjAuMC4xOjQwMDEk"] {
        assert_eq!(err(key), KeyError::InvalidPrefix, "{key}");
    }
    assert_eq!(KeyError::InvalidPrefix.to_string(), "publishable key must start with pk_test_ or pk_live_");
    assert_eq!(err("pk_test_"), KeyError::InvalidEncoding);
    assert_eq!(err("pk_test_!!!!"), KeyError::InvalidEncoding);
    assert_eq!(err("pk_test_MTI3_LjAuMC4x"), KeyError::InvalidEncoding);
    // Decoded text not ending in '$', with a second '$', or without a '.' (clerk-js's rules).
    let raw = |text: &str| {
        use base64::Engine as _;
        format!("pk_live_{}", base64::engine::general_purpose::STANDARD.encode(text))
    };
    assert!(matches!(err(&raw("clerk.example.com")), KeyError::InvalidFrontendApi(m) if m.contains("end in '$'")));
    assert!(matches!(err(&raw("clerk$.example.com$")), KeyError::InvalidFrontendApi(m) if m.contains("more than one")));
    assert!(matches!(err(&raw("localhost:4001$")), KeyError::InvalidFrontendApi(m) if m.contains("'.'")));
    assert!(matches!(err(&raw("$")), KeyError::InvalidFrontendApi(_)));
    assert_eq!(err(&format!("pk_test_{}", "/w==")), KeyError::InvalidEncoding); // not UTF-8
    let boxed: Box<dyn std::error::Error> = Box::new(err(&raw("localhost$")));
    assert!(boxed.to_string().starts_with("publishable key is not valid"));
}
