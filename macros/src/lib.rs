//! ndisnpp's derive macro `CodeTable`, for an enum whose every variant must be written exactly
//! once *and* be visible to cbindgen (which does not expand macros): the enum stays written out,
//! and the derive makes the tables from it.
//!
//! Written against `proc_macro` alone (no syn/quote): the input is a fieldless enum, which takes
//! little parsing.

use proc_macro::{Delimiter, TokenStream, TokenTree};

/// For a fieldless enum whose every variant carries `#[text = "description"]`, generates:
///
/// * `pub const ALL: &'static [Self]`: every variant, in the order written;
/// * `pub const fn name(self) -> &'static str`: the variant's name;
/// * `pub(crate) const fn text_nul(self) -> &'static str`: its description with a terminating
///   NUL (for C callers).
///
/// A variant without `#[text = "..."]` (or with fields) is a compile error.
#[proc_macro_derive(CodeTable, attributes(text))]
pub fn derive_code_table(input: TokenStream) -> TokenStream {
    match code_table(input) {
        Ok(code) => code.parse().expect("generated code parses"),
        Err(msg) => format!("compile_error!({msg:?});").parse().expect("compile_error parses"),
    }
}

struct Variant {
    name: String,
    /// The string literal as written (quotes and escapes included).
    text: Option<String>,
}

fn code_table(input: TokenStream) -> Result<String, String> {
    let mut tokens = input.into_iter();
    // Skip attributes and visibility up to `enum Name`, then take the body.
    let mut name = None;
    let mut body = None;
    while let Some(t) = tokens.next() {
        match t {
            TokenTree::Ident(i) if i.to_string() == "enum" => match tokens.next() {
                Some(TokenTree::Ident(n)) => name = Some(n.to_string()),
                _ => return Err("CodeTable: expected the enum's name".into()),
            },
            TokenTree::Group(g) if name.is_some() && g.delimiter() == Delimiter::Brace => {
                body = Some(g.stream());
                break;
            }
            TokenTree::Ident(i) if i.to_string() == "struct" || i.to_string() == "union" => {
                return Err("CodeTable: only for enums".into());
            }
            _ => {}
        }
    }
    let (Some(ty), Some(body)) = (name, body) else { return Err("CodeTable: only for enums".into()) };
    let variants = variants(body)?;
    let mut all = String::new();
    let mut names = String::new();
    let mut texts = String::new();
    for v in &variants {
        let Some(text) = &v.text else { return Err(format!("CodeTable: {ty}::{} has no #[text = \"...\"]", v.name)) };
        all += &format!("{ty}::{}, ", v.name);
        names += &format!("{ty}::{} => {:?}, ", v.name, v.name);
        texts += &format!("{ty}::{} => concat!({text}, \"\\0\"), ", v.name);
    }
    Ok(format!(
        "impl {ty} {{
            /// Every variant, in the order the enum lists them.
            pub const ALL: &'static [{ty}] = &[{all}];
            /// The variant's name, as the C header spells it.
            pub const fn name(self) -> &'static str {{ match self {{ {names} }} }}
            /// The variant's `#[text]`, with a terminating NUL for the C boundary.
            pub(crate) const fn text_nul(self) -> &'static str {{ match self {{ {texts} }} }}
        }}"
    ))
}

/// The variants of an enum body: `#[attr]* Name (= value)? ,` each.
fn variants(body: TokenStream) -> Result<Vec<Variant>, String> {
    let mut out = Vec::new();
    let mut text = None;
    let mut tokens = body.into_iter().peekable();
    while let Some(t) = tokens.next() {
        match t {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                let Some(TokenTree::Group(g)) = tokens.next() else { return Err("CodeTable: malformed attribute".into()) };
                let attr: Vec<TokenTree> = g.stream().into_iter().collect();
                if let [TokenTree::Ident(i), TokenTree::Punct(eq), TokenTree::Literal(lit)] = &attr[..] {
                    if i.to_string() == "text" && eq.as_char() == '=' {
                        let lit = lit.to_string();
                        if !lit.starts_with('"') {
                            return Err("CodeTable: #[text = ...] takes a string literal".into());
                        }
                        if text.replace(lit).is_some() {
                            return Err("CodeTable: two #[text] on one variant".into());
                        }
                    }
                } else if matches!(attr.first(), Some(TokenTree::Ident(i)) if i.to_string() == "text") {
                    return Err("CodeTable: write #[text = \"...\"]".into());
                }
            }
            TokenTree::Ident(i) => {
                if matches!(tokens.peek(), Some(TokenTree::Group(_))) {
                    return Err(format!("CodeTable: {i} has fields; only fieldless enums"));
                }
                out.push(Variant { name: i.to_string(), text: text.take() });
                // Skip `= value` up to the comma.
                for t in tokens.by_ref() {
                    if matches!(&t, TokenTree::Punct(p) if p.as_char() == ',') {
                        break;
                    }
                }
            }
            other => return Err(format!("CodeTable: unexpected `{other}` in the enum")),
        }
    }
    Ok(out)
}
