//! The page writer shared by the run and sweep pages (`index.html`): one
//! self-contained page that loads nothing (no scripts, fonts, style sheets
//! or images from anywhere), so it opens offline, from a mail attachment
//! or a CI artefact alike. HTML escaping, the page's head and style sheet,
//! a chart figure (wide and narrow drawings), a chart left out, table
//! header cells and the findings list.

use std::fmt::Write;

/// In place of a chart that a report leaves out: its title and why
/// (`id`, `title` and `why` plain text).
pub fn left_out(id: &str, title: &str, why: &str) -> String {
    format!(
        "<figure id=\"{}\" class=\"left-out\">\n<h3>{}</h3>\n<p class=\"note\">{}</p>\n</figure>\n",
        escape(id),
        escape(title),
        escape(why)
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
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

/// An SVG document made fit to inline: no XML declaration, no namespace
/// URL (HTML places `<svg>` in its namespace by itself), scaled to the
/// page's width through its `viewBox`.
fn inline_svg(svg: &str, label: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let svg = &svg[start..];
    let svg = svg.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1);
    svg.replacen(
        "<svg",
        &format!(r#"<svg role="img" aria-label="{}""#, escape(label)),
        1,
    )
}

const STYLE: &str = "
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #222;
  font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 20px 48px; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .4rem; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; border-bottom: 1px solid #e4e4e4; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 0 0 .3rem; }
.description { font-size: 1.1rem; margin: 0 0 .4rem; }
.meta, .note, figcaption { color: #555; font-size: .92rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: .93rem; font-variant-numeric: tabular-nums; white-space: nowrap; }
th, td { padding: .4rem .45rem; border-bottom: 1px solid #e4e4e4; text-align: right; }
th { font-weight: 600; border-bottom: 2px solid #bbb; }
th:first-child, td:first-child { text-align: left; position: sticky; left: 0; background: #fff; }
.by-model th:nth-child(2), .by-model td:nth-child(2) { text-align: left; }
.swatch { display: inline-block; width: .85em; height: .85em; border-radius: 2px;
  margin-right: .45em; vertical-align: -.05em; }
figure { margin: 0 0 2.2rem; }
.chart svg { display: block; width: 100%; height: auto; }
.narrow { display: none; }
@media (max-width: 640px) {
  .wide { display: none; }
  .narrow { display: block; }
}
figcaption { margin-top: .4rem; max-width: 46rem; }
pre { background: #f5f5f5; border-radius: 6px; padding: 12px 14px; overflow-x: auto;
  font: .85rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details summary { cursor: pointer; color: #333; }
@media (max-width: 640px) {
  main { padding: 18px 12px 36px; }
  h1 { font-size: 1.45rem; }
  th, td { padding: .35rem .45rem; font-size: .9rem; }
}
";

/// The start of a page, up to its `<main>`: `title` (plain text) in the
/// browser's tab, the page's style sheet inline.
pub fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(title)
    )
}

/// A chart on the page: the file's drawing (`svgs.0`, titled) on wide
/// screens; on phone-width screens the narrow drawing (`svgs.1`) under
/// the title and subtitle as text. `id`, `title`, `subtitle` and
/// `caption` are plain text.
pub fn figure(id: &str, title: &str, subtitle: &str, svgs: (&str, &str), caption: &str) -> String {
    format!(
        "<figure id=\"{}\">\n<h3 class=\"narrow\">{}</h3>\n<p class=\"narrow note\">{}</p>\n\
         <div class=\"chart wide\">\n{}\n</div>\n<div class=\"chart narrow\">\n{}\n</div>\n\
         <figcaption>{}</figcaption>\n</figure>\n",
        escape(id),
        escape(title),
        escape(subtitle),
        inline_svg(svgs.0, title).trim_end(),
        inline_svg(svgs.1, title).trim_end(),
        escape(caption),
    )
}

/// A page's findings section, one item per finding's text; nothing
/// without findings.
pub fn findings_list<'a>(findings: impl IntoIterator<Item = &'a str>) -> String {
    let mut findings = findings.into_iter().peekable();
    if findings.peek().is_none() {
        return String::new();
    }
    let mut h = String::from("<section class=\"findings\">\n<h2>Findings</h2>\n<ul>\n");
    for f in findings {
        let _ = writeln!(h, "<li>{}</li>", escape(f));
    }
    h.push_str("</ul>\n</section>\n");
    h
}

/// Table header cells, each with its tooltip (none when empty), and the
/// start of the body.
pub fn header_cells(h: &mut String, cells: &[(&str, &str)]) {
    for (col, tip) in cells {
        if tip.is_empty() {
            let _ = write!(h, "<th>{col}</th>");
        } else {
            let _ = write!(h, "<th title=\"{tip}\">{col}</th>");
        }
    }
    h.push_str("</tr></thead>\n<tbody>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn inlined_svg_has_no_namespace_url_or_declaration() {
        let svg = r#"<?xml version="1.0"?><svg width="10" height="10" viewBox="0 0 10 10" xmlns="http://www.w3.org/2000/svg"></svg>"#;
        assert_eq!(
            inline_svg(svg, "a <b>"),
            r#"<svg role="img" aria-label="a &lt;b&gt;" width="10" height="10" viewBox="0 0 10 10"></svg>"#
        );
    }
}
