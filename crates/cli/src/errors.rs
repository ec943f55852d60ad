//! How an error reaches a person: one line, each cause once.
//!
//! Libraries wrap errors and repeat their source's text in their own
//! (sqlx's "error communicating with database: Connection refused (os error
//! 111)" above the io error "Connection refused (os error 111)"; hyper's
//! "tcp connect error" above an io error of the same text). Printed with
//! `{:#}`, such a chain says the same thing two or three times.

/// The error and its causes joined by `: `, a cause left out when the part
/// printed before it already contains its text; line breaks become spaces.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() || parts.last().is_some_and(|previous| previous.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_said_are_left_out() {
        let io =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused (os error 111)");
        let error = anyhow::Error::new(io)
            .context("error communicating with database: Connection refused (os error 111)")
            .context("database.url: cannot open the database postgres://fengqiao@127.0.0.1:1/fq");
        assert_eq!(
            one_line(&error),
            "database.url: cannot open the database postgres://fengqiao@127.0.0.1:1/fq: \
             error communicating with database: Connection refused (os error 111)"
        );
        let same =
            anyhow::anyhow!("tcp connect error").context("tcp connect error").context("transport error");
        assert_eq!(one_line(&same), "transport error: tcp connect error");
        let spread = anyhow::anyhow!("first line\nsecond line").context("outer");
        assert_eq!(one_line(&spread), "outer: first line second line");
        let distinct = anyhow::anyhow!("disk full").context("cannot write");
        assert_eq!(one_line(&distinct), "cannot write: disk full");
    }
}
