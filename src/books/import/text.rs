//! Turning a file's bytes into lines of text: encodings, BOM, line endings.

use super::ImportIssue;

/// The text of a file and the encoding it was read in. UTF-8 input is
/// borrowed, not copied (a FEC can weigh hundreds of megabytes).
pub struct Decoded<'a> {
    pub text: std::borrow::Cow<'a, str>,
    pub encoding: &'static str,
}

/// Decodes a text file: UTF-8 (with or without BOM), else `fallback`
/// (ISO-8859-15 for a FEC, Windows-1252 for a spreadsheet export).
/// Refuses empty and binary files with a clear message.
pub fn decode<'a>(
    bytes: &'a [u8],
    fallback: &'static encoding_rs::Encoding,
) -> Result<Decoded<'a>, ImportIssue> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportIssue::file("le fichier est vide"));
    }
    check_head(body)?;
    match std::str::from_utf8(body) {
        Ok(text) => Ok(Decoded {
            text: std::borrow::Cow::Borrowed(text),
            encoding: "UTF-8",
        }),
        Err(_) => {
            let (text, _) = fallback.decode_without_bom_handling(body);
            Ok(Decoded {
                text: std::borrow::Cow::Owned(text.into_owned()),
                encoding: fallback.name(),
            })
        }
    }
}

/// Refuses a file whose first bytes (after any BOM) show it is not text:
/// a NUL, a known binary format's signature, or many control characters.
pub fn check_head(body: &[u8]) -> Result<(), ImportIssue> {
    let head = &body[..body.len().min(8192)];
    let binary_magic = [
        &b"%PDF"[..],
        b"PK\x03\x04",
        b"\x89PNG",
        b"\xD0\xCF\x11\xE0",
        b"SQLite format",
    ];
    if head.contains(&0) || binary_magic.iter().any(|m| head.starts_with(m)) {
        return Err(ImportIssue::file("ce n'est pas un fichier texte (fichier binaire, PDF, Excel .xls/.xlsx ou archive) : exportez-le en CSV ou en FEC texte"));
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if controls * 20 > head.len() {
        return Err(ImportIssue::file(
            "ce n'est pas un fichier texte (trop de caractères de contrôle)",
        ));
    }
    Ok(())
}

/// Lines split on CRLF, CR or LF (files mixing them exist), numbered from 1.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let rest = &bytes[start..];
        let (len, skip) = match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => (i, 2),
            // "\r\r\n" comes from a file converted to CRLF twice: one line break.
            Some(i)
                if rest[i] == b'\r'
                    && rest.get(i + 1) == Some(&b'\r')
                    && rest.get(i + 2) == Some(&b'\n') =>
            {
                (i, 3)
            }
            Some(i) => (i, 1),
            None => (rest.len(), 0),
        };
        let line = &text[start..start + len];
        start += len + skip;
        number += 1;
        Some((number, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_mixed_line_endings() {
        let got: Vec<_> = lines("a\r\nb\rc\nd\r\r\ne").collect();
        assert_eq!(got, vec![(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e")]);
    }

    #[test]
    fn reads_latin9_and_refuses_binary() {
        let latin = encoding_rs::ISO_8859_15.encode("Société € ").0.into_owned();
        assert_eq!(
            decode(&latin, encoding_rs::ISO_8859_15).unwrap().text,
            "Société € "
        );
        assert!(decode(b"\0\x01\x02binary", encoding_rs::ISO_8859_15).is_err());
        assert!(decode(b"\xEF\xBB\xBF  \r\n", encoding_rs::ISO_8859_15).is_err());
    }
}
