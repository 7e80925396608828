//! Errors as one line of words, for reports and logs that keep text, not error values.

/// The messages of an error and its sources, deduplicated ("error sending request: connection
/// refused").
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("could not send the request")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn sources_follow_and_repeats_are_dropped() {
        let inner =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(
            error_chain(&Outer(inner)),
            "could not send the request: connection refused"
        );
        let repeated = std::io::Error::other("refused");
        assert_eq!(error_chain(&repeated), "refused");
    }
}
