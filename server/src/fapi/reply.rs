//! A Frontend API answer in three steps. Inside the transaction, the handler loads what the answer
//! shows (`views`) and the claims of each signed-in session's `last_active_token`. After the
//! transaction, with no lock held, the tokens are signed (each session once, though it may be
//! shown twice: as the response and on the client). Then it is rendered, which is pure.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{CookieChange, Fapi};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::render::{self, Tokens};
use crate::store::{Client, Session, Tx};
use crate::tokens::{self, OrgChoice};
use crate::views::{self, ClientView, SessionView};

/// Renders a response once the tokens are signed.
type RenderFn = Box<dyn FnOnce(&Tokens) -> Value + Send>;

enum Response {
    Json(Value),
    /// The client itself (`{response: client, client: client}`, `GET /v1/client`).
    TheClient,
    Render(RenderFn),
}

/// A loaded answer: `{response, client}` and the `__client` cookie change.
pub struct Reply {
    origin: Option<String>,
    now: i64,
    /// Session id → claims of its `last_active_token`.
    claims: BTreeMap<String, Value>,
    response: Response,
    client: Option<ClientView>,
    /// Whether the envelope's `client` shows the client (`GET /v1/client` answers `client: null`).
    show_client: bool,
    cookie: CookieChange,
}

impl Reply {
    pub fn new(caller: &Caller) -> Self {
        Reply {
            origin: caller.origin.clone(),
            now: caller.now,
            claims: BTreeMap::new(),
            response: Response::Json(Value::Null),
            client: None,
            show_client: true,
            cookie: CookieChange::Keep,
        }
    }

    /// A session as shown, with its token's claims when it is signed in.
    pub fn session(&mut self, st: &AppState, tx: &mut dyn Tx, s: &Session) -> ApiResult<SessionView> {
        self.claim(st, tx, s)?;
        views::session(tx, s, self.now)
    }

    /// The claims of `s`'s `last_active_token`, if it is signed in (once per session).
    fn claim(&mut self, st: &AppState, tx: &mut dyn Tx, s: &Session) -> ApiResult<()> {
        if s.effective_status(self.now).is_signed_in() && !self.claims.contains_key(&s.id) {
            let c = tokens::session_claims(st, tx, s, &OrgChoice::Active, self.origin.clone(), st.config.token_ttl, self.now)?;
            self.claims.insert(s.id.clone(), serde_json::to_value(c).map_err(|e| ApiError::internal(e.to_string()))?);
        }
        Ok(())
    }

    fn load_client(&mut self, st: &AppState, tx: &mut dyn Tx, c: &Client) -> ApiResult<ClientView> {
        let view = views::client(&st.config, tx, c, self.now)?;
        for s in &view.sessions {
            self.claim(st, tx, &s.session)?;
        }
        Ok(view)
    }

    /// `{response: render(tokens), client}` with the full, current client.
    pub fn envelope(
        mut self,
        st: &AppState,
        tx: &mut dyn Tx,
        client: &Client,
        render: impl FnOnce(&Tokens) -> Value + Send + 'static,
        cookie: CookieChange,
    ) -> ApiResult<Self> {
        self.client = Some(self.load_client(st, tx, client)?);
        self.response = Response::Render(Box::new(render));
        self.cookie = cookie;
        Ok(self)
    }

    /// `{response: client, client}`.
    pub fn client(mut self, st: &AppState, tx: &mut dyn Tx, client: &Client, cookie: CookieChange) -> ApiResult<Self> {
        self.client = Some(self.load_client(st, tx, client)?);
        self.response = Response::TheClient;
        self.cookie = cookie;
        Ok(self)
    }

    /// `{response: client|null, client: null}` (`GET /v1/client`).
    pub fn client_only(mut self, st: &AppState, tx: &mut dyn Tx, client: Option<&Client>, cookie: CookieChange) -> ApiResult<Self> {
        if let Some(c) = client {
            self.client = Some(self.load_client(st, tx, c)?);
            self.response = Response::TheClient;
        }
        self.show_client = false;
        self.cookie = cookie;
        Ok(self)
    }

    /// Signs the tokens (no transaction is open any more), then renders.
    pub async fn finish(self, st: &AppState) -> ApiResult<Fapi> {
        let mut tokens = Tokens::new();
        for (sid, claims) in self.claims {
            tokens.insert(sid, st.sign(claims).await?);
        }
        let client = self.client.as_ref().map(|c| render::client_json(c, &tokens));
        let response = match self.response {
            Response::Json(v) => v,
            Response::TheClient => client.clone().unwrap_or(Value::Null),
            Response::Render(f) => f(&tokens),
        };
        let client = if self.show_client { client.unwrap_or(Value::Null) } else { Value::Null };
        Ok(Fapi::new(json!({ "response": response, "client": client }), self.cookie))
    }
}
