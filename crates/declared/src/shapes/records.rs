//! Declarations written one cookie at a time rather than as a table:
//! - a heading (or accordion `<summary>`) per cookie — `<h3>_ga</h3>`, or "1P_JAR, NID and
//!   CONSENT" — followed by paragraphs or lists ("Purpose: …", "Expires: …");
//! - definition lists (`<dt>_ga</dt><dd>…</dd>`);
//! - "Label: value" lines, or a label/value run in one line ("Name nmstat Type Other Domain
//!   Expires 1000 days"), each "Name" starting the next cookie;
//! - list items such as "CFID – Persistent cookie", and lists of bare names.
//!
//! Prose must never yield a name, so every record needs evidence besides looking like a name:
//! labelled fields, or (in a section about cookies) a name that reads as a code identifier and a
//! description that speaks of cookies. A capitalised word ("Analytics", "Consent") is never
//! enough on its own.

use std::collections::{HashMap, HashSet};

use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::{DeclarationShape, DeclaredCookie};

use crate::dom::{Block, BlockKind};
use crate::fields::{Origin, Values, declare, dropped_warning, expiry_sentence};
use crate::headers::{Role, classify_exact, resolve_type};
use crate::names::{NameCell, identifier_like, is_sentence, read_name_cell};
use crate::prose::vendor_in;
use crate::shapes::table::apply_title;
use crate::text::word_count;

/// Cookies read from consecutive records of one shape: one structure on the page.
#[derive(Debug)]
pub(crate) struct RecordGroup {
    pub shape: DeclarationShape,
    pub start_block: usize,
    pub blocks: Vec<usize>,
    pub cookies: Vec<DeclaredCookie>,
    pub warnings: Vec<String>,
}

#[derive(Debug)]
struct Record {
    shape: DeclarationShape,
    names: String,
    fields: Vec<(Role, String)>,
    free: Vec<String>,
    blocks: Vec<usize>,
    cookie_context: bool,
    /// Category and provider from the headings above.
    context: Values,
    /// The list the record's first block belongs to.
    list: Option<u32>,
}

impl Record {
    fn new(shape: DeclarationShape, names: &str, block: usize, ctx: &Ctx) -> Record {
        Record {
            shape,
            names: names.to_string(),
            fields: Vec::new(),
            free: Vec::new(),
            blocks: vec![block],
            list: None,
            cookie_context: ctx.cookie_context,
            context: ctx
                .titles
                .iter()
                .rev()
                .fold(Values::default(), |acc, (_, v)| acc.or(v)),
        }
    }
}

#[derive(Debug, Default)]
struct Ctx {
    cookie_context: bool,
    /// Categories and vendors named by the headings above ("Essential cookies", "Google
    /// Analytics"), each applying until the next heading of its level: (level, values).
    titles: Vec<(u8, Values)>,
}

/// Accepted records, grouped into structures.
#[derive(Debug)]
struct Collector<'a> {
    url: &'a str,
    blocks: &'a [Block],
    groups: Vec<RecordGroup>,
    last_shape: Option<DeclarationShape>,
    last_block: Option<usize>,
}

impl Collector<'_> {
    fn accept(&mut self, rec: Record) {
        let Some(names) = accepted_names(&rec) else {
            return;
        };
        let first = *rec.blocks.first().expect("a record has a block");
        // Records run on as one structure until a heading of their own section intervenes or
        // other content separates them.
        let continues = self.last_shape == Some(rec.shape)
            && !self.groups.is_empty()
            && self.last_block.is_some_and(|last| {
                first <= last + 3
                    && self.blocks.get(last + 1..first).is_none_or(|between| {
                        !between.iter().any(|b| {
                            b.kind.is_heading_like() && b.label.is_none() && !b.text.is_empty()
                        })
                    })
            });
        if !continues {
            self.groups.push(RecordGroup {
                shape: rec.shape,
                start_block: first,
                blocks: Vec::new(),
                cookies: Vec::new(),
                warnings: Vec::new(),
            });
        }
        let group = self.groups.last_mut().expect("a group was just ensured");
        let row = group.cookies.last().map_or(0, |c| c.source.row + 1);
        let origin = Origin {
            url: self.url,
            table: 0,
            row,
            shape: rec.shape,
        };
        for line in &names.dropped {
            group
                .warnings
                .push(dropped_warning(&origin, "not read as a cookie name:", line));
        }
        let values = record_values(&rec);
        declare(
            &names,
            &values,
            &origin,
            &mut group.cookies,
            &mut group.warnings,
        );
        group.blocks.extend(&rec.blocks);
        self.last_shape = Some(rec.shape);
        self.last_block = rec.blocks.iter().max().copied();
    }
}

/// The record's names, when there is enough evidence that it declares cookies.
fn accepted_names(rec: &Record) -> Option<NameCell> {
    let names = read_name_cell(&rec.names);
    if names.names.is_empty()
        || names
            .names
            .iter()
            .any(|n| n.suspicious || crate::lexicon::is_not_a_cookie(&n.name))
    {
        return None;
    }
    if rec.shape == DeclarationShape::List {
        return Some(names);
    }
    let filled = |role: Role| {
        rec.fields
            .iter()
            .any(|(r, value)| *r == role && !value.trim().is_empty())
    };
    if rec.shape == DeclarationShape::LabelValue {
        // Labelled "Name: …" with at least one more labelled field, in a section about cookies
        // or with a field only a cookie has (a form's "Name: … Type: …" is not one).
        let more = rec
            .fields
            .iter()
            .any(|(role, value)| *role != Role::Name && !value.trim().is_empty());
        let cookie_only = filled(Role::Expiry) || filled(Role::Domain);
        return (more && (rec.cookie_context || cookie_only)).then_some(names);
    }
    // A heading or term: its name must read as a code identifier, and what follows must be
    // about a cookie — a lifetime, a domain, a provider or type, or words about cookies.
    let identifiers = names.names.iter().all(|n| {
        identifier_like(&n.name) && vendor_in(&n.name).is_none() && n.name.chars().count() >= 2
    });
    if !identifiers {
        return None;
    }
    let described = [
        Role::Expiry,
        Role::Type,
        Role::Domain,
        Role::Provider,
        Role::Cookie,
    ]
    .into_iter()
    .any(filled);
    let text: String = rec
        .free
        .iter()
        .map(String::as_str)
        .chain(
            rec.fields
                .iter()
                .filter(|(r, _)| *r == Role::Purpose)
                .map(|(_, v)| v.as_str()),
        )
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let speaks_of_cookies = ["cookie", "expire", "session", "persistent"]
        .iter()
        .any(|w| text.contains(w));
    (described || (rec.cookie_context && speaks_of_cookies)).then_some(names)
}

fn record_values(rec: &Record) -> Values {
    let mut values = Values::default();
    let types: Vec<&str> = rec
        .fields
        .iter()
        .filter(|(r, _)| *r == Role::Type)
        .map(|(_, v)| v.as_str())
        .collect();
    let type_role = resolve_type(types.iter().copied());
    for (role, value) in &rec.fields {
        let role = match role {
            Role::Type => type_role,
            Role::Cookie => Role::Provider,
            r => *r,
        };
        values.set(role, value);
    }
    if values.purpose.is_none() && !rec.free.is_empty() {
        values.purpose = Some(rec.free.join(" "));
    }
    if values.expiry.is_none() && values.persistence.is_none() {
        values.expiry = expiry_sentence(&rec.free.join(" "), false);
    }
    values.or(&rec.context)
}

/// "Purpose: …" (or `<b>Purpose</b> …`): a known label and its value.
fn label_value(line: &str, lead: Option<usize>) -> Option<(Role, &str)> {
    if let Some((label, value)) = line.split_once(':')
        && label.len() <= 48
    {
        let label = label.trim();
        if !label.is_empty()
            && word_count(label) <= 4
            && let Some(role) = classify_exact(label)
        {
            return Some((role, value.trim()));
        }
    }
    let lead = lead?;
    let (label, value) = line.split_at(lead.min(line.len()));
    let label = label.trim().trim_end_matches([':', '-', '–']).trim();
    let role = classify_exact(label)?;
    Some((role, value.trim_start_matches([':', ' ', '-', '–']).trim()))
}

/// A line that is only a label ("Name"), its value on the next line.
fn label_only(line: &str) -> Option<Role> {
    if line.len() > 48 {
        return None;
    }
    let t = line.trim().trim_end_matches(':').trim();
    if t.is_empty() || word_count(t) > 3 {
        return None;
    }
    classify_exact(t)
}

/// "Name nmstat Type Other Domain Expires 1000 days": labels (capitalised, from the synonym
/// table) alternating with values in one line. Starts with a name label; three labels at least.
fn label_run(line: &str) -> Option<Vec<(Role, String)>> {
    // The run starts with its name label; checking that first keeps prose cheap.
    let first = line.split_whitespace().next()?;
    if !matches!(
        first,
        "Name" | "Name:" | "Cookie" | "Cookie:" | "Cookies" | "Cookies:"
    ) {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < 4 {
        return None;
    }
    // (word index, words the label takes, role)
    let mut labels: Vec<(usize, usize, Role)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let capitalised = words[i].chars().next().is_some_and(char::is_uppercase);
        if capitalised {
            let two = (i + 1 < words.len())
                .then(|| format!("{} {}", words[i], words[i + 1]))
                .and_then(|p| classify_exact(&p).map(|r| (2, r)));
            let one = classify_exact(words[i].trim_end_matches(':')).map(|r| (1, r));
            if let Some((len, role)) = two.or(one) {
                labels.push((i, len, role));
                i += len;
                continue;
            }
        }
        i += 1;
    }
    if labels.len() < 3 || labels[0].0 != 0 || !matches!(labels[0].2, Role::Name | Role::Cookie) {
        return None;
    }
    let mut fields = Vec::new();
    for (k, (at, len, role)) in labels.iter().enumerate() {
        let end = labels.get(k + 1).map_or(words.len(), |next| next.0);
        let value = words[at + len..end].join(" ");
        fields.push((*role, value));
    }
    let name_ok = read_name_cell(&fields[0].1)
        .names
        .iter()
        .all(|n| !n.suspicious);
    (name_ok && !fields[0].1.is_empty()).then_some(fields)
}

/// "CFID – Persistent cookie", "_ga: used to distinguish users".
fn list_item(line: &str) -> Option<(String, String)> {
    if !line.contains(['–', '—', '-', ':']) {
        return None;
    }
    for sep in [" – ", " — ", " - ", ": ", " -- "] {
        if let Some((left, right)) = line.split_once(sep) {
            let left = left.trim();
            let right = right.trim();
            if left.is_empty() || right.is_empty() || word_count(left) > 5 {
                return None;
            }
            return Some((left.to_string(), right.to_string()));
        }
    }
    None
}

/// A heading that is nothing but cookie names.
fn heading_names(text: &str) -> bool {
    if text.contains('\n') || word_count(text) > 6 || is_sentence(text) {
        return false;
    }
    let names = read_name_cell(text);
    !names.names.is_empty()
        && names.names.iter().all(|n| !n.suspicious)
        && crate::names::names_only(text)
}

/// A heading (or `<dt>`) that starts a record: names that read as code identifiers, not an
/// ordinary capitalised word ("Cookies", "Analytics") nor a vendor ("YouTube").
fn record_heading(text: &str) -> bool {
    heading_names(text)
        && read_name_cell(text)
            .names
            .iter()
            .all(|n| identifier_like(&n.name) && vendor_in(&n.name).is_none())
}

/// Lists whose every item is a bare cookie name (`<li>_ga</li><li>_gid</li>`).
fn bare_name_lists(blocks: &[Block], consumed: &[bool]) -> HashSet<u32> {
    let mut items: HashMap<u32, Vec<&Block>> = HashMap::new();
    for (i, b) in blocks.iter().enumerate() {
        if b.kind == BlockKind::ListItem
            && !consumed[i]
            && !b.nav
            && let Some(list) = b.list
        {
            items.entry(list).or_default().push(b);
        }
    }
    items
        .into_iter()
        .filter(|(_, items)| {
            items.len() >= 2
                && items.iter().all(|b| b.cookie_context)
                && items.iter().all(|b| {
                    let cell = read_name_cell(&b.text);
                    !b.text.is_empty()
                        && crate::names::names_only(&b.text)
                        && !cell.names.is_empty()
                        && cell
                            .names
                            .iter()
                            .all(|n| !n.suspicious && vendor_in(&n.name).is_none())
                })
                && items
                    .iter()
                    .filter(|b| {
                        read_name_cell(&b.text)
                            .names
                            .iter()
                            .all(|n| crate::names::strongly_name_like(&n.name))
                    })
                    .count()
                    * 2
                    >= items.len()
        })
        .map(|(list, _)| list)
        .collect()
}

/// Finds every record-shaped declaration among the blocks not yet consumed.
pub(crate) fn find(blocks: &[Block], consumed: &[bool], url: &str) -> Vec<RecordGroup> {
    let mut reader = Reader {
        bare_lists: bare_name_lists(blocks, consumed),
        paragraph_list: paragraph_lists(blocks, consumed),
        out: Collector {
            url,
            blocks,
            groups: Vec::new(),
            last_shape: None,
            last_block: None,
        },
        current: None,
        group: Vec::new(),
        ctx: Ctx::default(),
        pending_label: None,
    };
    let mut prev: Option<usize> = None;
    for (b, block) in blocks.iter().enumerate() {
        if consumed[b] || block.nav || block.chrome {
            continue;
        }
        // Something consumed (a table) lies between: records do not run across it.
        if prev.is_some_and(|p| (p + 1..b).any(|k| consumed[k])) {
            reader.finish_all();
            reader.pending_label = None;
        }
        prev = Some(b);
        reader.ctx.cookie_context = block.cookie_context;
        if block.text.is_empty() {
            continue;
        }
        reader.block(b, block);
    }
    reader.finish_all();
    reader.out.groups
}

/// Free lines a labelled record (`Name … Expires …`) takes as its description when it has none.
const MAX_DESCRIPTION_LINES: usize = 3;

/// The state of one pass over the blocks.
struct Reader<'a> {
    bare_lists: HashSet<u32>,
    paragraph_list: Vec<bool>,
    out: Collector<'a>,
    /// The record being read (a heading's, a term's, a labelled one's).
    current: Option<Record>,
    /// The names of a bare-name list, waiting for the paragraph after the list that describes
    /// them all.
    group: Vec<Record>,
    ctx: Ctx,
    /// A label line ("Domain") waiting for its value on the next line.
    pending_label: Option<Role>,
}

impl Reader<'_> {
    fn finish_current(&mut self) {
        if let Some(rec) = self.current.take() {
            self.out.accept(rec);
        }
    }

    fn finish_group(&mut self) {
        for rec in std::mem::take(&mut self.group) {
            self.out.accept(rec);
        }
    }

    fn finish_all(&mut self) {
        self.finish_current();
        self.finish_group();
    }

    fn block(&mut self, b: usize, block: &Block) {
        if !self.group.is_empty() && !self.group_item(block) {
            // A paragraph right after a list of bare names describes every name in it.
            // One that ends in ":" introduces what follows instead.
            if block.kind == BlockKind::Paragraph
                && block.label.is_none()
                && !block.text.trim_end().ends_with(':')
            {
                for rec in &mut self.group {
                    rec.free.push(block.text.clone());
                    rec.blocks.push(b);
                }
                self.finish_group();
                return;
            }
            self.finish_group();
        }
        // Plugins such as Complianz label each value with a small heading ("<h5>Name</h5>",
        // "<h5>Expiration</h5>"): a heading that is only a label is a label.
        if matches!(block.kind, BlockKind::Heading(4..))
            && let Some(role) = block.label.filter(|r| *r != Role::Cookie)
        {
            if role == Role::Name {
                self.finish_current();
            }
            self.pending_label = Some(role);
            return;
        }
        // A term that is a label (GOV.UK's summary list: "<dt>Name</dt><dd>_ga</dd>") is a
        // label, its definition the value.
        if block.kind == BlockKind::Term
            && let Some(role) = block.label
        {
            if role == Role::Name {
                self.finish_current();
            }
            self.pending_label = Some(role);
            return;
        }
        if block.kind.is_heading_like() || block.kind == BlockKind::Term {
            self.heading(b, block);
            return;
        }
        // A bold line that is nothing but a name heads the card below it (Cookiebot's dialog:
        // "<strong>_ga [x2]</strong>", then the description and "Maximum Storage Duration").
        if bold_name_title(block) {
            self.finish_current();
            self.pending_label = None;
            self.current = Some(Record::new(
                DeclarationShape::Headings,
                &block.text,
                b,
                &self.ctx,
            ));
            return;
        }
        if block.kind == BlockKind::ListItem
            && let Some(list) = block.list
            && self.bare_lists.contains(&list)
        {
            self.finish_current();
            let mut rec = Record::new(DeclarationShape::List, &block.text, b, &self.ctx);
            rec.list = Some(list);
            self.group.push(rec);
            return;
        }
        let line_list = self.paragraph_list[b] || line_list(block);
        for (li, line) in block.text.split('\n').enumerate() {
            self.line(b, block, li, line, line_list);
        }
    }

    /// Whether `block` is the next item of the bare-name list being read.
    fn group_item(&self, block: &Block) -> bool {
        block.kind == BlockKind::ListItem
            && block.list.is_some()
            && block.list == self.group.first().and_then(|r| r.list)
    }

    fn heading(&mut self, b: usize, block: &Block) {
        self.finish_current();
        self.pending_label = None;
        let level = match block.kind {
            BlockKind::Heading(level) => level,
            _ => 7,
        };
        while self.ctx.titles.last().is_some_and(|(l, _)| *l >= level) {
            self.ctx.titles.pop();
        }
        if record_heading(&block.text) {
            let shape = if block.kind == BlockKind::Term {
                DeclarationShape::Definitions
            } else {
                DeclarationShape::Headings
            };
            self.current = Some(Record::new(shape, &block.text, b, &self.ctx));
        }
        if block.kind.is_heading_like() {
            let mut title = Values::default();
            apply_title(&mut title, &block.text);
            if title.category.is_some() || title.provider.is_some() {
                self.ctx.titles.push((level, title));
            }
        }
    }

    /// One line of a block that is not a heading.
    fn line(&mut self, b: usize, block: &Block, li: usize, line: &str, line_list: bool) {
        let single = li == 0 && !block.text.contains('\n');
        let lead = if li == 0 { block.lead } else { None };
        // A label line waits for its value on the next line; "Domain" followed by "Expires"
        // means the domain was left empty.
        let line_label = if single {
            block.label
        } else {
            label_only(line)
        };
        if let Some(role) = self.pending_label.take()
            && line_label.is_none()
        {
            apply_field(&mut self.current, &mut self.out, role, line, b, &self.ctx);
            return;
        }
        if let Some((role, value)) = label_value(line, lead) {
            if value.is_empty() && label_only(line).is_some() {
                self.pending_label = Some(role);
            } else {
                apply_field(&mut self.current, &mut self.out, role, value, b, &self.ctx);
            }
            return;
        }
        if let Some(role) = line_label {
            self.pending_label = Some(role);
            return;
        }
        if let Some(fields) = label_run(line) {
            // The description paragraphs after the run belong to it.
            self.finish_current();
            let mut rec = Record::new(DeclarationShape::LabelValue, &fields[0].1, b, &self.ctx);
            rec.fields = fields[1..].to_vec();
            self.current = Some(rec);
            return;
        }
        if let Some(rec) = self.current.as_mut()
            && takes_free_line(rec, block)
        {
            if !rec.blocks.contains(&b) {
                rec.blocks.push(b);
            }
            rec.free.push(line.to_string());
            return;
        }
        self.finish_current();
        if !block.cookie_context {
            return;
        }
        let rec = if block.kind == BlockKind::ListItem {
            quoted_name_item(line, b, &self.ctx).or_else(|| list_record(line, b, &self.ctx, false))
        } else if line_list {
            list_record(line, b, &self.ctx, !self.paragraph_list[b])
        } else {
            None
        };
        if let Some(rec) = rec {
            self.out.accept(rec);
        }
    }
}

/// A heading's record takes every free line until the next heading; a labelled record with no
/// description yet takes the paragraphs right after it (a few at most).
fn takes_free_line(rec: &Record, block: &Block) -> bool {
    match rec.shape {
        DeclarationShape::Headings | DeclarationShape::Definitions => true,
        DeclarationShape::LabelValue => {
            block.kind == BlockKind::Paragraph
                && rec.free.len() < MAX_DESCRIPTION_LINES
                && !rec.fields.iter().any(|(r, _)| *r == Role::Purpose)
        }
        _ => false,
    }
}

/// Lines of one paragraph ("_ga – …<br>_gid – …") read like list items when every line is a
/// code-like name and its description; so does a lone line in a section about cookies ("_ga
/// and _gat – used to distinguish users" under "Analytics cookies").
fn line_list(block: &Block) -> bool {
    if block.kind != BlockKind::Paragraph || !block.cookie_context {
        return false;
    }
    let marked = |l: &str| list_line(l).is_some_and(|l| l.marked);
    if block.text.contains('\n') {
        return block
            .text
            .split('\n')
            .filter(|l| !l.trim().is_empty())
            .all(marked);
    }
    block.section_cookie && marked(&block.text)
}

/// A bold block that is nothing but a cookie name.
fn bold_name_title(block: &Block) -> bool {
    matches!(block.kind, BlockKind::Other | BlockKind::Paragraph)
        && block.lead.is_some_and(|n| n >= block.text.len())
        && block.cookie_context
        && !block.text.contains('\n')
        && record_heading(&block.text)
}

/// "Session cookie: 'PHPSESSID'", "Google Analytics: '_ga'": a label, then the name in quotes.
/// The label names the vendor (the provider) or says what the cookie is (its purpose).
fn quoted_name_item(line: &str, block: usize, ctx: &Ctx) -> Option<Record> {
    let (label, value) = line.split_once(':')?;
    let value = value.trim();
    let quotes = ['\'', '"', '‘', '’', '“', '”', '`'];
    let inner = value
        .strip_prefix(quotes)
        .and_then(|v| v.strip_suffix(quotes))?
        .trim();
    let label = label.trim();
    if inner.is_empty() || inner.contains(char::is_whitespace) || word_count(label) > 5 {
        return None;
    }
    let names = read_name_cell(inner);
    if names.names.len() != 1 || names.names[0].suspicious {
        return None;
    }
    let mut rec = Record::new(DeclarationShape::List, inner, block, ctx);
    let mut vendor = Values::default();
    apply_title(&mut vendor, label);
    match vendor.provider {
        Some(provider) if provider.len() == label.len() => {
            rec.fields.push((Role::Provider, provider));
        }
        _ => rec.free.push(label.to_string()),
    }
    Some(rec)
}

/// A line "names – description" whose names read as code identifiers, and how sure that is.
struct ListLine {
    names: String,
    description: String,
    /// Every name carries a clear mark: an underscore, a digit, mixed case or a pattern.
    marked: bool,
    /// The description speaks of cookies or gives a lifetime ("1000 days").
    speaks: bool,
}

fn list_line(line: &str) -> Option<ListLine> {
    let (left, right) = list_item(line)?;
    if !heading_names(&left) {
        return None;
    }
    let names = read_name_cell(&left);
    let identifiers = names
        .names
        .iter()
        .all(|n| identifier_like(&n.name) && vendor_in(&n.name).is_none());
    if !identifiers {
        return None;
    }
    let lower = right.to_lowercase();
    let speaks = ["cookie", "session", "persistent", "expire"]
        .iter()
        .any(|w| lower.contains(w))
        || parse_expiry_text(&right).seconds.is_some();
    let marked = names.names.iter().all(|n| {
        n.glob.is_some()
            || n.name.contains('_')
            || n.name.chars().any(|c| c.is_ascii_digit())
            || (crate::names::strongly_name_like(&n.name) && n.name.chars().any(char::is_lowercase))
    });
    Some(ListLine {
        names: left,
        description: right,
        marked,
        speaks,
    })
}

/// Paragraphs that are list items in all but markup: two or more consecutive single-line
/// paragraphs about cookies, each a code-like name and a description that speaks of cookies or
/// gives a lifetime, at least one name clearly marked ("<p>_hjid – Hotjar, 1 year</p><p>nmstat –
/// Siteimprove, 1000 days</p><p>CFID – Persistent cookie</p>"), as CMS editors write lists.
/// One such paragraph alone stays prose, and so does a run of acronyms ("GDPR – …").
fn paragraph_lists(blocks: &[Block], consumed: &[bool]) -> Vec<bool> {
    // None: not a list line; Some(marked).
    let lines: Vec<Option<bool>> = blocks
        .iter()
        .enumerate()
        .map(|(b, block)| {
            if consumed[b]
                || block.nav
                || block.chrome
                || block.kind != BlockKind::Paragraph
                || !block.cookie_context
                || block.text.contains('\n')
            {
                return None;
            }
            let line = list_line(&block.text)?;
            (line.marked || line.speaks).then_some(line.marked)
        })
        .collect();
    let mut out = vec![false; blocks.len()];
    let mut start = 0;
    while start < blocks.len() {
        if lines[start].is_none() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < blocks.len() && lines[end].is_some() {
            end += 1;
        }
        if end - start >= 2 && lines[start..end].contains(&Some(true)) {
            out[start..end].iter_mut().for_each(|o| *o = true);
        }
        start = end;
    }
    out
}

/// "CFID – Persistent cookie": a record when the names read as code identifiers and either the
/// description speaks of cookies or the names carry a clear mark (underscore, digit, mixed
/// case, pattern). A capitalised word before a dash ("Consent – …") is prose, whatever follows;
/// capitals alone ("GDPR – …") need the description to speak of cookies. `marked_only` (lines of
/// a paragraph, not list items) asks for the mark in every case.
fn list_record(line: &str, block: usize, ctx: &Ctx, marked_only: bool) -> Option<Record> {
    let line = list_line(line)?;
    if !(line.marked || (line.speaks && !marked_only)) {
        return None;
    }
    let (left, right) = (line.names, line.description);
    let mut rec = Record::new(DeclarationShape::List, &left, block, ctx);
    // "Persistent cookie" is an expiry; a longer description is a purpose that may state the
    // expiry too.
    if word_count(&right) <= 3 && parse_expiry_text(&right).session.is_some() {
        rec.fields.push((Role::Expiry, right));
    } else {
        rec.free.push(right);
    }
    Some(rec)
}

/// A labelled field: a name label starts the next record, anything else belongs to the
/// current one.
fn apply_field(
    current: &mut Option<Record>,
    out: &mut Collector<'_>,
    role: Role,
    value: &str,
    block: usize,
    ctx: &Ctx,
) {
    // "Cookie: _ga" names a cookie; "Cookie: Google Analytics" (beside a Name label) is its
    // provider.
    let starts_record = role == Role::Name
        || (role == Role::Cookie
            && read_name_cell(value).names.iter().all(|n| !n.suspicious)
            && !value.trim().is_empty());
    if starts_record {
        if let Some(rec) = current.take() {
            out.accept(rec);
        }
        *current = Some(Record::new(DeclarationShape::LabelValue, value, block, ctx));
        return;
    }
    if let Some(rec) = current.as_mut() {
        if !rec.blocks.contains(&block) {
            rec.blocks.push(block);
        }
        rec.fields.push((role, value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_runs() {
        let fields = label_run("Name nmstat Type Other Domain Expires 1000 days").unwrap();
        assert_eq!(fields[0], (Role::Name, "nmstat".to_string()));
        assert_eq!(fields[1], (Role::Type, "Other".to_string()));
        assert_eq!(fields[2], (Role::Domain, String::new()));
        assert_eq!(fields[3], (Role::Expiry, "1000 days".to_string()));
        assert!(label_run("Name and address are collected").is_none());
    }

    #[test]
    fn labelled_lines() {
        assert_eq!(
            label_value("Purpose: tracks visits", None),
            Some((Role::Purpose, "tracks visits"))
        );
        assert_eq!(
            label_value("Expires 2 years", Some(7)),
            Some((Role::Expiry, "2 years"))
        );
        assert_eq!(label_value("Note: this is prose", None), None);
    }
}
