//! A small element tree read with quick-xml, for the bank's XML files
//! (CAMT.053, OFX 2). Safe on hostile input: a document type declaration
//! (where entity expansions and external entities live) is refused, never
//! resolved; only the five predefined entities and character references are
//! read; depth and size are bounded.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its local name (no namespace prefix), its text and children.
#[derive(Debug, Default)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
    /// Attributes by local name.
    pub attributes: Vec<(String, String)>,
    /// 1-based line of its start tag.
    pub line: usize,
}

/// Deeper than this, a file is not a bank statement.
const MAX_DEPTH: usize = 64;

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The children named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at the end of `path` (child names), if any.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The trimmed text at the end of `path`, empty when absent.
    pub fn text_at(&self, path: &[&str]) -> &str {
        self.at(path).map_or("", |e| e.text.trim())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `text` into its root element, or says where and why it cannot.
pub fn parse(text: &str) -> Result<Element, (usize, String)> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let line_of = |pos: usize| {
        text.as_bytes()[..pos.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            (
                line_of(reader.error_position() as usize),
                format!("XML illisible : {e}"),
            )
        })?;
        match event {
            Event::DocType(_) => {
                return Err((
                    line_of(at),
                    "déclaration DOCTYPE refusée : un relevé n'en a pas (entités et références externes ne sont jamais lues)".into(),
                ))
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root.is_some() {
                    return Err((line_of(at), "contenu après l'élément racine".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err((line_of(at), "imbrication trop profonde".into()));
                }
                let element = element_of(start, line_of(at))?;
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| (line_of(at), "balise fermante sans ouvrante".into()))?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match r.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err((
                                line_of(at),
                                format!(
                                    "entité « &{}; » refusée : seules les entités prédéfinies sont lues",
                                    other
                                ),
                            ))
                        }
                    },
                    Err(e) => return Err((line_of(at), format!("référence illisible : {e}"))),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err((
            line_of(text.len()),
            format!(
                "fichier tronqué : « {} » n'est pas fermé",
                stack[stack.len() - 1].name
            ),
        ));
    }
    root.ok_or_else(|| (1, "aucun élément XML".into()))
}

/// An element as its start tag gives it (name, attributes).
fn element_of(
    start: &quick_xml::events::BytesStart,
    line: usize,
) -> Result<Element, (usize, String)> {
    let mut element = Element {
        name: start.local_name().as_ref().to_string(),
        line,
        ..Default::default()
    };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| (line, format!("attribut illisible : {e}")))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| (line, format!("attribut illisible : {e}")))?;
        element.attributes.push((
            attribute.key.local_name().as_ref().to_string(),
            value.into_owned(),
        ));
    }
    Ok(element)
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}
