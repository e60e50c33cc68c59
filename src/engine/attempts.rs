//! Sign-in and sign-up requests, and the attempts kept for the objects the app holds.

use super::clerk::*;
use super::error::{ClerkError, Result};
use super::fapi::{Retry, Verb};
use super::json::Json;
use super::resources::str_field;

impl Clerk {
    // ---- sign-in and sign-up ------------------------------------------------------------------

    /// `client.signIn.create(...)` and the sign-in's steps (`prepare_first_factor`, …).
    /// Returns the sign-in from the answer.
    pub async fn sign_in_request(&self, step: Option<&str>, form: &[(&str, &str)]) -> Result<Json> {
        self.attempt_request("sign_ins", "sign_in", step, Verb::Post, form).await
    }

    /// `client.signUp.create(...)`, `update` (PATCH, no step) and its verification steps.
    pub async fn sign_up_request(&self, step: Option<&str>, verb: Verb, form: &[(&str, &str)]) -> Result<Json> {
        self.attempt_request("sign_ups", "sign_up", step, verb, form).await
    }

    /// `signIn.reload()` / `signUp.reload()`: the attempt `id` as the server has it now (how a
    /// tab waiting on an email link learns that it was opened). By id, not the client's
    /// current attempt: a completed attempt leaves the client, as another tab may already
    /// have heard. Through `attempt_request`, which costs less wasm than a function of its own.
    pub async fn attempt_reload(&self, field: &str, id: &str) -> Result<Json> {
        let collection = if field == "sign_in" { "sign_ins" } else { "sign_ups" };
        self.attempt_request(collection, field, Some(id), Verb::Get, &[]).await
    }

    /// `step` is the path segment after the attempt's id, or with `Verb::Get` the id itself.
    async fn attempt_request(&self, collection: &str, field: &str, step: Option<&str>, verb: Verb, form: &[(&str, &str)]) -> Result<Json> {
        self.require_loaded()?;
        let current_id = || {
            let client = self.client()?;
            let attempt = match field {
                "sign_in" => client.sign_in.as_ref(),
                _ => client.sign_up.as_ref(),
            }?;
            str_field(attempt, "id").map(str::to_owned)
        };
        let path = match (step, verb) {
            (Some(id), Verb::Get) => {
                validate_path_segment("id", id)?;
                ["/client/", collection, "/", id].concat()
            }
            (None, Verb::Post) => ["/client/", collection].concat(),
            (None, _) => {
                let id = current_id()
                    .ok_or_else(|| ClerkError::invalid_argument(["There is no ", field, " to update; create one first"].concat()))?;
                ["/client/", collection, "/", &id].concat()
            }
            (Some(step), _) => {
                validate_path_segment("step", step)?;
                let id = current_id()
                    .ok_or_else(|| ClerkError::invalid_argument(["There is no ", field, " in progress; create one first"].concat()))?;
                ["/client/", collection, "/", &id, "/", step].concat()
            }
        };
        let body = self.0.fapi.request(verb, &path, form, Retry::Once).await?;
        self.absorb(body, Emit::Now)
    }
}
