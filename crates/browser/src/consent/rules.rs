//! Consent rules as data: the built-in file (`crates/browser/consent-rules.toml`, compiled in)
//! and any `--consent-rules FILE`, in the format docs/consent.md describes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The built-in rules, as written.
const BUILTIN: &str = include_str!("../../consent-rules.toml");

/// How to recognise one consent platform, use its banner and read its choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A short id (`onetrust`), reported as `consent.cmp.id`.
    pub id: String,
    /// The product's name ("OneTrust").
    pub name: String,
    /// What betrays its presence.
    #[serde(default)]
    pub detect: Detect,
    /// What is visible while it asks.
    #[serde(default)]
    pub banner: BannerRule,
    /// Where its buttons are.
    #[serde(default)]
    pub buttons: Buttons,
    /// How to read the choice it recorded.
    #[serde(default)]
    pub state: Option<StateRule>,
    /// How to read its own machine-readable cookie list.
    #[serde(default)]
    pub cookie_list: Option<Script>,
    /// The cookies (or localStorage keys) in which it records the choice: necessary by nature.
    #[serde(default)]
    pub own_cookies: Vec<String>,
    /// Reads the names this site gave those cookies (most platforms let a site rename its
    /// consent cookie): a JavaScript expression returning a name or a list of names.
    #[serde(default)]
    pub own_cookies_script: Option<Script>,
}

/// Any one of these recognises the platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Substrings of a `<script src>`.
    #[serde(default)]
    pub scripts: Vec<String>,
    /// Window objects by dotted path (`OneTrust`, `Cookiebot.consent`).
    #[serde(default)]
    pub globals: Vec<String>,
    /// CSS selectors of elements that exist, visible or not.
    #[serde(default)]
    pub selectors: Vec<String>,
}

/// The banner asks while one of these is visible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerRule {
    /// CSS selectors.
    #[serde(default)]
    pub shown: Vec<String>,
}

/// The buttons, each a list of CSS selectors tried in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buttons {
    /// "Accept all" on the first layer.
    #[serde(default)]
    pub accept: Vec<String>,
    /// "Reject all" on the first layer.
    #[serde(default)]
    pub reject: Vec<String>,
    /// Opens the second layer (settings, preferences).
    #[serde(default)]
    pub settings: Vec<String>,
    /// "Reject all" in the second layer.
    #[serde(default)]
    pub settings_reject: Vec<String>,
    /// "Save" in the second layer, optional categories as they are (off by default).
    #[serde(default)]
    pub settings_save: Vec<String>,
}

/// Reading the platform's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// What the script reads, in words, for `verified_by` ("the OptanonConsent cookie").
    pub describe: String,
    /// A JavaScript expression returning "accept", "reject", "partial" or null.
    pub script: String,
}

/// A JavaScript expression evaluated in the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The expression.
    pub script: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    cmp: Vec<Rule>,
}

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file could not be read.
    #[error("cannot read the consent rules {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, or not in the rules format.
    #[error("{origin}: {message}")]
    Format {
        /// The file, or "built-in rules".
        origin: String,
        /// What is wrong, with its line.
        message: String,
    },
}

/// The rules a scan uses: the user's first, then the built-in ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRules {
    rules: Vec<Rule>,
}

impl ConsentRules {
    /// The built-in rules.
    pub fn builtin() -> ConsentRules {
        let rules = parse(BUILTIN, "built-in rules").expect("the built-in consent rules parse");
        ConsentRules { rules }
    }

    /// The built-in rules with the rules of `path` tried first (a rule with a built-in id
    /// replaces it).
    pub fn with_file(path: &Path) -> Result<ConsentRules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut rules = parse(&text, &path.display().to_string())?;
        let builtin = ConsentRules::builtin().rules;
        let own: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
        rules.extend(builtin.into_iter().filter(|r| !own.contains(&r.id)));
        Ok(ConsentRules { rules })
    }

    /// Every rule, in the order they are tried.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules as the page script takes them.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(&self.rules).expect("rules always serialise")
    }
}

fn parse(text: &str, origin: &str) -> Result<Vec<Rule>, RulesError> {
    let format = |message: String| RulesError::Format {
        origin: origin.to_string(),
        message,
    };
    let file: RulesFile = toml::from_str(text).map_err(|e| format(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for rule in &file.cmp {
        if rule.id.is_empty() || rule.name.is_empty() {
            return Err(format("every [[cmp]] needs an `id` and a `name`".into()));
        }
        if !seen.insert(rule.id.as_str()) {
            return Err(format(format!("the id `{}` is used twice", rule.id)));
        }
        let d = &rule.detect;
        if d.scripts.is_empty() && d.globals.is_empty() && d.selectors.is_empty() {
            return Err(format(format!(
                "`{}`: a rule needs at least one of detect.scripts, detect.globals, detect.selectors",
                rule.id
            )));
        }
        if rule.buttons.accept.is_empty() {
            return Err(format(format!("`{}`: buttons.accept is empty", rule.id)));
        }
    }
    Ok(file.cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_cover_the_platforms_issue_14_names() {
        let rules = ConsentRules::builtin();
        for id in [
            "civic",
            "onetrust",
            "cookiebot",
            "govuk",
            "eu_cookie_compliance",
            "vanilla_cookieconsent",
            "klaro",
            "osano",
            "tarteaucitron",
            "cookieyes",
            "termly",
            "silktide",
        ] {
            let rule = rules.get(id).unwrap_or_else(|| panic!("a rule for {id}"));
            assert!(rule.state.is_some(), "{id} says how to read its choice");
            assert!(!rule.banner.shown.is_empty(), "{id} says when it asks");
        }
    }

    #[test]
    fn a_user_rule_comes_first_and_replaces_a_built_in_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(
            &path,
            "[[cmp]]\nid = \"onetrust\"\nname = \"Our OneTrust\"\ndetect.globals = [\"OT\"]\nbuttons.accept = [\"#ok\"]\n",
        )
        .unwrap();
        let rules = ConsentRules::with_file(&path).unwrap();
        assert_eq!(rules.rules()[0].name, "Our OneTrust");
        assert_eq!(
            rules.rules().iter().filter(|r| r.id == "onetrust").count(),
            1
        );
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let error = parse(
            "[[cmp]]\nid = \"x\"\nname = \"X\"\nbuttons.accept = [\"#a\"]\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("at least one of detect"), "{error}");
        let error = parse("[[cmp]]\nid = \"x\"\nname = \"X\"\ncolour = 1\n", "f.toml")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("f.toml: ") && error.contains("colour"),
            "{error}"
        );
    }
}
