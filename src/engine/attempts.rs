//! Sign-in, sign-up and signed-in user (passkey, backup code) requests, and the attempts kept for the objects the app holds.
//!
//! Each operation only builds its path; one purpose (`Purpose::Response`) keeps the client the
//! answer carries and answers its `response`, for all of them.

use super::clerk::*;
use super::error::{ClerkError, Result};
use super::fapi::Verb;
use super::resources::str_field;

impl Clerk {
    // ---- sign-in and sign-up ------------------------------------------------------------------

    /// The path of `client.signIn.create(...)` (`collection` `sign_ins`, no step) or of a step of
    /// the client's current attempt (`prepare_first_factor`, …); sign-ups likewise, `update`
    /// being a PATCH without a step. With `Verb::Get`, `step` is an attempt's id: `signIn.reload()`
    /// reads that attempt as the server has it now (how a tab waiting on an email link learns
    /// it was opened), by id rather than the client's current one, which a completed attempt
    /// leaves.
    pub fn attempt_path(&self, collection: &str, step: Option<&str>, verb: Verb) -> Result<String> {
        self.require_loaded()?;
        let field = if collection == "sign_ins" { "sign_in" } else { "sign_up" };
        let current_id = || {
            let client = self.client()?;
            let attempt = match field {
                "sign_in" => client.sign_in.as_ref(),
                _ => client.sign_up.as_ref(),
            }?;
            str_field(attempt, "id").map(str::to_owned)
        };
        Ok(match (step, verb) {
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
        })
    }
}
