//! The page writer shared by the run and sweep pages (`index.html`): one
//! self-contained page that loads nothing (no fonts, style sheets, images
//! or scripts from anywhere), so it opens offline, from a mail attachment
//! or a CI artefact alike. HTML escaping, the page's head and style sheet,
//! a chart figure (wide and narrow drawings), a chart left out, table
//! header cells, the findings list, and the interactive layer: the
//! charts' numbers as JSON in the page and the inline script
//! (`page.js`) that draws them as charts to hover over, with a legend
//! that hides and shows a strategy, and makes the tables sortable. Without
//! scripts the page shows the static drawings it always had.

use serde_json::Value;
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
figure.js div.chart { display: none; }
figure.js h3.narrow, figure.js p.narrow { display: block; }
.ichart { position: relative; }
.ichart svg { display: block; width: 100%; height: auto; font-size: 12px; }
.keys { display: flex; flex-wrap: wrap; gap: .3rem .5rem; margin: .3rem 0 .4rem; }
.key { font: inherit; font-size: .85rem; color: #222; background: #fff; border: 1px solid #ccc;
  border-radius: 4px; padding: .1rem .5rem; cursor: pointer; }
.key.off { opacity: .45; text-decoration: line-through; }
.tip { position: absolute; display: none; pointer-events: none; z-index: 2; background: #fff;
  border: 1px solid #bbb; border-radius: 4px; padding: .3rem .5rem; font-size: .82rem;
  white-space: nowrap; box-shadow: 0 1px 4px rgba(0, 0, 0, .18); }
.tip b { font-weight: 600; }
th.sortable { cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: \" \\25B2\"; font-size: .7em; }
th[aria-sort=descending]::after { content: \" \\25BC\"; font-size: .7em; }
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

/// The script that makes the page interactive (see the module's comment).
const SCRIPT: &str = include_str!("page.js");

/// A number as a chart's data carries it: six significant digits (the
/// page shows four), `null` where not defined.
pub fn num(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

/// Points `(x, y)` as `[[x, y], …]` ([`num`] each).
pub fn points(points: &[(f64, f64)]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|&(x, y)| Value::Array(vec![num(x), num(y)]))
            .collect(),
    )
}

/// The end of a page's `<main>`: the interactive charts' data (`charts`,
/// one object per figure, see `page.js` for the fields) and the script,
/// then the end of the document. The JSON is written so that no `<`
/// can end its element early.
pub fn page_end(charts: &[Value]) -> String {
    let json = serde_json::to_string(charts)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c");
    format!(
        "</main>\n<script type=\"application/json\" id=\"backsim-charts\">{json}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )
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
    fn chart_numbers_keep_six_digits_and_no_markup() {
        assert_eq!(num(1.0 / 3.0), serde_json::json!(0.333333));
        assert_eq!(num(123456789.0), serde_json::json!(123457000.0));
        assert_eq!(num(2.5e-9), serde_json::json!(2.5e-9));
        assert_eq!(num(f64::NAN), Value::Null);
        assert_eq!(num(f64::INFINITY), Value::Null);
        let end = page_end(&[serde_json::json!({"name": "</script><b>"})]);
        assert!(end.starts_with(
            "</main>\n<script type=\"application/json\" id=\"backsim-charts\">[{\"name\":\"\\u003c/script>\\u003cb>\"}]</script>\n<script>\n"
        ));
        assert_eq!(end.matches("</script>").count(), 2);
        assert!(end.ends_with("</script>\n</body>\n</html>\n"));
    }

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
