//! The demo instance: alice (admin of Acme, with TOTP) and bob (member), password
//! `demo-password-1`, and a `demo` JWT template. Idempotent.

use serde_json::json;

use crate::bapi::{NewUser, OneOrMany, add_member, create_org, create_user, put_template};
use crate::errors::ApiResult;
use crate::store::{Done, Store, Tx, User};

pub const DEMO_PASSWORD: &str = "demo-password-1";
/// Fixed so that the demo and the docs can show it; base32, 160 bits.
pub const ALICE_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[derive(Debug, Clone)]
pub struct Seeded {
    pub alice_id: String,
    pub bob_id: String,
    pub org_id: String,
}

fn user(tx: &mut dyn Tx, email: &str, first: &str, last: &str, username: &str, totp: Option<&str>) -> ApiResult<User> {
    if let Some(e) = tx.email(email)?
        && let Some(u) = tx.user(&e.user_id)?
    {
        return Ok(u);
    }
    create_user(
        tx,
        NewUser {
            email_address: Some(OneOrMany::One(email.to_owned())),
            password: Some(DEMO_PASSWORD.to_owned()),
            first_name: Some(first.to_owned()),
            last_name: Some(last.to_owned()),
            username: Some(username.to_owned()),
            totp_secret: totp.map(str::to_owned),
            phone_number: None,
            ..NewUser::default()
        },
        &|password| Ok(crate::util::hash_password(password)),
    )
}

pub fn seed(store: &dyn Store) -> ApiResult<Seeded> {
    store.run(|tx| {
        let alice = user(tx, "alice@example.com", "Alice", "Example", "alice", Some(ALICE_TOTP_SECRET))?;
        let bob = user(tx, "bob@example.com", "Bob", "Example", "bob", None)?;
        let org = match tx.org_by_slug("acme")? {
            Some(o) => o,
            None => create_org(tx, "Acme", "acme")?,
        };
        add_member(tx, &org.id, &alice.id, "org:admin")?;
        add_member(tx, &org.id, &bob.id, "org:member")?;
        put_template(
            tx,
            "demo",
            json!({
                "email": "{{user.primary_email_address}}",
                "name": "{{user.first_name}} {{user.last_name}}",
                "org": {"id": "{{org.id}}", "role": "{{org.role}}", "slug": "{{org.slug}}"},
                "session": "{{session.id}}",
                "app": "demo",
            }),
            300,
        )?;
        Ok(Done(Seeded { alice_id: alice.id, bob_id: bob.id, org_id: org.id }))
    })
}

pub fn print_credentials(s: &Seeded) {
    println!("demo users (password: {DEMO_PASSWORD}):");
    println!("  alice@example.com  {}  org:admin of Acme, TOTP secret {ALICE_TOTP_SECRET}", s.alice_id);
    println!("  bob@example.com    {}  org:member of Acme", s.bob_id);
    println!("organization Acme (slug acme): {}", s.org_id);
    println!("JWT template: demo");
}
