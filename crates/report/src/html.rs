//! HTML: the full report page and the paste-ready cookie table, from minijinja templates embedded
//! in the binary.
//!
//! Escaping is not left to the templates: every template is HTML-escaped whatever its name, and
//! only our own template output is ever marked safe. The page loads nothing (inline CSS, no
//! script, a Content-Security-Policy that forbids any fetch), so it can be e-mailed or opened from
//! disk and shows the same everywhere.

use std::sync::OnceLock;

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, context};

use crate::view::View;

const PAGE: &str = "report.html";
const TABLE: &str = "cookie_table.html";

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(format_value);
        // Debug builds (and so the tests) fail on a misspelt field; a release build renders
        // an empty string rather than no report.
        env.set_undefined_behavior(if cfg!(debug_assertions) {
            UndefinedBehavior::Strict
        } else {
            UndefinedBehavior::Lenient
        });
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("default delimiters are valid"),
        );
        for (name, source) in [
            (PAGE, include_str!("../templates/report.html")),
            (TABLE, include_str!("../templates/cookie_table.html")),
            ("report.css", include_str!("../templates/report.css")),
        ] {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        env
    })
}

/// Escapes like minijinja's HTML mode but leaves `/` alone: URLs and "and/or" in the
/// paste-ready table stay readable, and `/` is harmless in text and in quoted attributes.
fn format_value(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    if value.is_safe() || !matches!(state.auto_escape(), AutoEscape::Html) {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let text = match value.as_str() {
        Some(s) => escape(s),
        None => escape(&value.to_string()),
    };
    out.write_str(&text).map_err(Error::from)
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn render_page(view: &View) -> String {
    let table_source = render_table(view);
    environment()
        .get_template(PAGE)
        .and_then(|t| {
            t.render(context! {
                v => Value::from(Serde(view)),
                rows => Value::from(Serde(&view.paste.rows)),
                table_source => table_source,
                schema_version => cookie_audit_model::SCHEMA_VERSION,
            })
        })
        .unwrap_or_else(|e| panic!("the report template failed: {e:#}"))
}

pub(crate) fn render_table(view: &View) -> String {
    environment()
        .get_template(TABLE)
        .and_then(|t| t.render(context! { rows => Value::from(Serde(&view.paste.rows)) }))
        .unwrap_or_else(|e| panic!("the cookie-table template failed: {e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_whatever_they_are_given() {
        let env = environment();
        let out = env
            .render_str(
                "{{ x }}|{{ y }}",
                context! { x => "<b a='1'>&\"/", y => () },
            )
            .unwrap();
        assert_eq!(out, "&lt;b a=&#39;1&#39;&gt;&amp;&quot;/|");
    }
}
