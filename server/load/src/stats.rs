//! Latencies and error answers per operation.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Default, Clone)]
pub struct OpStats {
    /// Latencies of the successful calls.
    pub ok: Vec<Duration>,
    /// Error answers by status (0 = transport error: connection refused or reset).
    pub errors: BTreeMap<u16, u64>,
    pub sample_error: Option<String>,
}

#[derive(Default, Clone)]
pub struct Stats {
    pub ops: BTreeMap<&'static str, OpStats>,
    pub elapsed: Duration,
}

impl Stats {
    pub fn merge(&mut self, other: Stats) {
        for (k, v) in other.ops {
            let e = self.ops.entry(k).or_default();
            e.ok.extend(v.ok);
            for (s, n) in v.errors {
                *e.errors.entry(s).or_default() += n;
            }
            if e.sample_error.is_none() {
                e.sample_error = v.sample_error;
            }
        }
    }

    pub fn total_ok(&self) -> usize {
        self.ops.values().map(|o| o.ok.len()).sum()
    }

    pub fn errors_with(&self, status: u16) -> u64 {
        self.ops.values().map(|o| o.errors.get(&status).copied().unwrap_or(0)).sum()
    }

    /// Error answers other than transport errors (which are expected once the server is killed).
    pub fn http_errors(&self) -> u64 {
        self.ops.values().flat_map(|o| o.errors.iter()).filter(|(s, _)| **s != 0).map(|(_, n)| n).sum()
    }

    pub fn print(&self, title: &str) {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        println!("\n{title}: {:.1} s", secs);
        println!("{:<16} {:>8} {:>9} {:>9} {:>9} {:>9}  errors", "operation", "ok", "ops/s", "p50 ms", "p99 ms", "max ms");
        let mut all = Vec::new();
        for (name, o) in &self.ops {
            let mut lat = o.ok.clone();
            lat.sort();
            all.extend_from_slice(&lat);
            let errs = if o.errors.is_empty() {
                String::new()
            } else {
                o.errors
                    .iter()
                    .map(|(s, n)| if *s == 0 { format!("{n} transport") } else { format!("{n}×{s}") })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            println!(
                "{name:<16} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2}  {errs}",
                lat.len(),
                lat.len() as f64 / secs,
                pct(&lat, 0.50),
                pct(&lat, 0.99),
                pct(&lat, 1.0),
            );
            if let Some(s) = &o.sample_error {
                println!("{:<16} first error: {s}", "");
            }
        }
        all.sort();
        println!(
            "{:<16} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2}",
            "total",
            all.len(),
            all.len() as f64 / secs,
            pct(&all, 0.50),
            pct(&all, 0.99),
            pct(&all, 1.0)
        );
        let rl = self.errors_with(429);
        println!("429 answers: {rl}");
    }
}

/// Percentile in milliseconds of sorted latencies (0 when empty).
fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}
