//! The doctor's report: a list of steps with a status, a detail and a fix, and its two
//! renderings (lines with ✔/✘ for people, one JSON document for scripts). Knows nothing of
//! what the steps check.

use crate::error::Error;
use serde_json::json;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

pub struct Step {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

#[derive(Default)]
pub struct Report {
    pub steps: Vec<Step>,
    /// Print each step's lines on stdout as it is recorded (the text rendering), so that a slow
    /// step shows what came before it.
    streaming: bool,
}

impl Report {
    /// A report that prints each step as it finishes.
    pub fn streaming() -> Report {
        Report {
            streaming: true,
            ..Report::default()
        }
    }

    pub fn pass(&mut self, name: &'static str, detail: impl Into<String>) {
        self.push(name, Status::Pass, detail.into(), None);
    }

    pub fn warn(&mut self, name: &'static str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(name, Status::Warn, detail.into(), Some(fix.into()));
    }

    pub fn fail(&mut self, name: &'static str, e: &Error) {
        let fix = e.hint_text().map(str::to_string);
        self.push(name, Status::Fail, e.what().to_string(), fix);
    }

    pub fn skip(&mut self, names: &[&'static str]) {
        for name in names {
            self.push(
                name,
                Status::Skip,
                "skipped: an earlier step failed".into(),
                None,
            );
        }
    }

    fn push(&mut self, name: &'static str, status: Status, detail: String, fix: Option<String>) {
        let step = Step {
            name,
            status,
            detail,
            fix,
        };
        if self.streaming {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(step_text(&step).as_bytes());
            let _ = out.flush();
        }
        self.steps.push(step);
    }

    pub fn ok(&self) -> bool {
        self.steps
            .iter()
            .all(|s| matches!(s.status, Status::Pass | Status::Warn))
    }

    pub fn failed(&self) -> Vec<&'static str> {
        self.steps
            .iter()
            .filter(|s| s.status == Status::Fail)
            .map(|s| s.name)
            .collect()
    }
}

/// The lines of one step.
fn step_text(s: &Step) -> String {
    let mark = match s.status {
        Status::Pass => "✔",
        Status::Warn => "!",
        Status::Fail => "✘",
        Status::Skip => "-",
    };
    let mut out = format!("{mark} {:<17} {}\n", s.name, s.detail);
    if let Some(fix) = &s.fix {
        out.push_str(&format!("  {:<17} fix: {fix}\n", ""));
    }
    out
}

/// The text rendering: every step's lines (unless they were streamed), then the verdict.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    if !r.streaming {
        for s in &r.steps {
            out.push_str(&step_text(s));
        }
    }
    out.push_str(if r.ok() {
        "All checks passed.\n"
    } else {
        "Some checks failed.\n"
    });
    out
}

pub fn json(r: &Report) -> String {
    let steps: Vec<_> = r
        .steps
        .iter()
        .map(|s| {
            json!({
                "step": s.name,
                "status": match s.status {
                    Status::Pass => "pass",
                    Status::Warn => "warn",
                    Status::Fail => "fail",
                    Status::Skip => "skip",
                },
                "detail": s.detail,
                "fix": s.fix,
            })
        })
        .collect();
    let value = json!({ "ok": r.ok(), "steps": steps });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}
