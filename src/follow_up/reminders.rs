//! The follow-up facts — communications made, promises, disputes, pauses —
//! and the day's work computed from them by the [`engine`](crate::engine).
//!
//! Only facts are stored. The level an invoice has reached is the highest
//! step of the communications about it; a promise is kept when the client's
//! payments between the day it was made and the day promised reach its
//! amount, and broken the day after that date otherwise; a pause is in force
//! up to its last day included.

use std::ops::RangeInclusive;

use foldhash::HashMap;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::dates::{self, iso_column, Date, IsoDate};
use crate::engine::{self, Channel, ClientState, Item, Scenario};
use crate::error::{Error, Result};
use crate::ledger::{check_single_line, now_stamp};
use crate::money::{Currency, Money};
use crate::store::{max_id, Ledger};

/// Setting holding the user's scenarios (JSON); absent = the defaults.
pub(crate) const SCENARIOS_SETTING: &str = "scenarios";

impl Channel {
    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::EmailAndLetter => "email_and_letter",
            Channel::Registered => "registered",
            Channel::Collection => "collection",
        }
    }

    /// Reads a stored or typed channel name.
    pub fn parse(text: &str) -> Result<Channel> {
        Ok(match text.trim() {
            "call" | "appel" => Channel::Call,
            "email" | "e-mail" | "courriel" => Channel::Email,
            "letter" | "courrier" | "lettre" => Channel::Letter,
            "email_and_letter" => Channel::EmailAndLetter,
            "registered" | "lrar" | "recommande" => Channel::Registered,
            "collection" | "recouvrement" => Channel::Collection,
            other => {
                return Err(Error::invalid(
                    "canal",
                    format!(
                    "« {other} » : call, email, letter, email_and_letter, registered ou collection"
                ),
                ))
            }
        })
    }
}

/// What the engine reads from the ledger.
#[derive(Clone, Debug, Default)]
pub struct EngineFacts {
    pub clients: Vec<ClientState>,
    pub items: Vec<Item>,
    pub global_pause: Option<Date>,
    /// Invoice numbers, in the order of `items`.
    pub numbers: Numbers,
    /// Invoice amounts (cents), in the order of `items`.
    pub amounts: Vec<i64>,
}

/// Invoice numbers in one buffer, in the order of the engine's items: one
/// allocation for them all rather than one per invoice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Numbers {
    text: String,
    ends: Vec<usize>,
}

impl Numbers {
    fn push(&mut self, number: &str) {
        self.text.push_str(number);
        self.ends.push(self.text.len());
    }

    /// How many numbers.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// No number at all.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The numbers in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| &self[i])
    }
}

/// The invoices open on a day among those of an id range, with their numbers.
struct OpenPart {
    /// (id, client id, issue date, due date, open cents, currency).
    open: Vec<(i64, i64, Date, Date, i64, Currency)>,
    numbers: Numbers,
    /// Their amounts (cents).
    amounts: Vec<i64>,
}

impl OpenPart {
    fn read(
        conn: &rusqlite::Connection,
        as_of: Date,
        ids: RangeInclusive<i64>,
    ) -> Result<OpenPart> {
        let mut part = OpenPart {
            open: Vec::new(),
            numbers: Numbers::default(),
            amounts: Vec::new(),
        };
        each_open_invoice(conn, as_of, ids, |o| {
            part.numbers.push(o.number);
            part.amounts.push(o.amount);
            part.open
                .push((o.id, o.client_id, o.issue, o.due, o.open, o.currency));
        })?;
        Ok(part)
    }

    /// Adds the part that follows this one.
    fn append(&mut self, next: OpenPart) {
        self.open.extend(next.open);
        self.amounts.extend(next.amounts);
        for number in next.numbers.iter() {
            self.numbers.push(number);
        }
    }
}

/// What was done about invoices and clients up to a day.
struct FollowUp {
    /// Level reached per invoice, its date, and the day it went to collection.
    levels: HashMap<i64, (usize, Date, Option<Date>)>,
    /// Invoices handed over: with the agency on the day or not.
    handed: HashMap<i64, bool>,
    /// Amount disputed per invoice (`None`: all of it).
    disputed: HashMap<i64, Option<i64>>,
    invoice_pause: HashMap<i64, Date>,
    client_pause: HashMap<i64, Date>,
    global_pause: Option<Date>,
    last_contact: HashMap<i64, Date>,
}

impl FollowUp {
    fn read(conn: &rusqlite::Connection, as_of: Date) -> Result<FollowUp> {
        let day = IsoDate::from(as_of);
        // Level reached per invoice: that of the latest record (a level set
        // by hand may lower it), with its date.
        let mut levels: HashMap<i64, (usize, Date, Option<Date>)> = HashMap::default();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT ri.invoice_id, r.step, r.date, r.channel FROM reminder_invoice ri JOIN reminder r ON r.id = ri.reminder_id WHERE r.date <= ?1 ORDER BY r.date, r.id",
            )?;
            let mut q = stmt.query([day])?;
            while let Some(r) = q.next()? {
                let (id, step): (i64, u32) = (r.get(0)?, r.get(1)?);
                let date = iso_column(r, 2)?;
                let collection = r.get_ref(3)?.as_str().unwrap_or("") == "collection";
                let entry = levels.entry(id).or_insert((0, date, None));
                entry.0 = step as usize;
                entry.1 = date;
                if collection {
                    entry.2 = Some(date);
                }
            }
        }
        // Hand-overs (C9): in force = with the agency; ended = back with us,
        // unless handed again (or a collection step recorded) since.
        let mut handed: HashMap<i64, bool> = HashMap::default();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT hi.invoice_id, h.ended_on FROM handover_invoice hi JOIN handover h ON h.id = hi.handover_id WHERE h.handed_on <= ?1 ORDER BY h.handed_on, h.id",
            )?;
            let mut q = stmt.query([day])?;
            while let Some(r) = q.next()? {
                let ended: Option<Date> = r.get(1)?;
                let active = ended.is_none_or(|d| d > as_of);
                let entry = handed.entry(r.get(0)?).or_insert(false);
                *entry |= active;
                if !active {
                    if let Some(level) = levels.get_mut(&r.get(0)?) {
                        if level.2.is_some_and(|c| ended.is_some_and(|e| c <= e)) {
                            level.2 = None;
                        }
                    }
                }
            }
        }
        let mut disputed: HashMap<i64, Option<i64>> = HashMap::default();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT invoice_id, amount FROM dispute WHERE opened_on <= ?1 AND (closed_on IS NULL OR closed_on > ?1)",
            )?;
            let mut q = stmt.query([day])?;
            while let Some(r) = q.next()? {
                let amount: Option<i64> = r.get(1)?;
                let entry = disputed.entry(r.get(0)?).or_insert(Some(0));
                *entry = match (*entry, amount) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
            }
        }
        let mut invoice_pause: HashMap<i64, Date> = HashMap::default();
        let mut client_pause: HashMap<i64, Date> = HashMap::default();
        let mut global_pause: Option<Date> = None;
        {
            let mut stmt = conn.prepare_cached(
                "SELECT invoice_id, client_id, until FROM pause WHERE until >= ?1",
            )?;
            let mut q = stmt.query([day])?;
            while let Some(r) = q.next()? {
                let until: Date = r.get(2)?;
                match (r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?) {
                    (Some(i), _) => later(invoice_pause.entry(i).or_insert(until), until),
                    (None, Some(c)) => later(client_pause.entry(c).or_insert(until), until),
                    (None, None) => global_pause = global_pause.max(Some(until)),
                }
            }
        }
        let mut last_contact: HashMap<i64, Date> = HashMap::default();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT client_id, MAX(date) FROM reminder WHERE date <= ?1 AND manual = 0 GROUP BY client_id",
            )?;
            let mut q = stmt.query([day])?;
            while let Some(r) = q.next()? {
                last_contact.insert(r.get(0)?, r.get(1)?);
            }
        }
        Ok(FollowUp {
            levels,
            handed,
            disputed,
            invoice_pause,
            client_pause,
            global_pause,
            last_contact,
        })
    }
}

impl std::ops::Index<usize> for Numbers {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// One invoice in a communication to make.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WorkInvoice {
    pub id: i64,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub days_late: i64,
    /// Open less disputed, cents.
    pub remindable_cents: i64,
}

/// A communication to make today, with what the user needs to see.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WorkRow {
    pub client_id: i64,
    pub client_code: String,
    pub client_name: String,
    pub segment: String,
    pub email: String,
    pub phone: String,
    /// The step to reach, from 1 (the level).
    pub step: usize,
    pub step_name: String,
    pub channel: Channel,
    pub template: String,
    pub total: Money,
    pub invoices: Vec<WorkInvoice>,
    /// The day the step fell due; before `as_of` = caught up.
    pub due_since: Date,
    pub pay_by: Date,
    /// The highest level already reached by these invoices (0 = none).
    pub last_step: usize,
    pub last_date: Option<Date>,
}

/// A client with something overdue but nothing to do today, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HeldRow {
    pub client_id: i64,
    pub client_code: String,
    pub client_name: String,
    pub reason: String,
}

/// The state of a promise on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum PromiseStatus {
    Running,
    Kept,
    Broken,
    Cancelled,
}

/// A payment promise as of a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PromiseView {
    pub id: i64,
    pub client_id: i64,
    pub client_name: String,
    pub amount: Money,
    pub made_on: Date,
    pub due: Date,
    pub note: String,
    /// Paid between `made_on` and `due`, cents.
    pub paid_cents: i64,
    pub status: PromiseStatus,
}

/// The day's work.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DayWork {
    pub as_of: Date,
    pub rows: Vec<WorkRow>,
    pub held: Vec<HeldRow>,
    pub promises_due: Vec<PromiseView>,
    pub broken_promises: Vec<PromiseView>,
    /// Every reminder is held until this day (inclusive).
    pub global_pause: Option<Date>,
}

/// A communication to record.
#[derive(Clone, Debug)]
pub struct NewReminder {
    pub client_id: i64,
    /// The step reached, from 1.
    pub step: usize,
    pub channel: Channel,
    pub date: Date,
    /// The invoices it was about; empty = every open invoice of the client
    /// below that level.
    pub invoice_ids: Vec<i64>,
    pub outcome: String,
    pub note: String,
    /// A level set by hand rather than a contact made.
    pub manual: bool,
}

/// What a pause holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseScope {
    Invoice(i64),
    Client(i64),
    All,
}

/// An invoice open on a day, its number borrowed from the row read.
struct OpenRow<'a> {
    id: i64,
    client_id: i64,
    number: &'a str,
    issue: Date,
    due: Date,
    amount: i64,
    open: i64,
    currency: Currency,
}

/// Calls `each` with every invoice open on `as_of` whose id is in `ids`.
fn each_open_invoice(
    conn: &rusqlite::Connection,
    as_of: Date,
    ids: RangeInclusive<i64>,
    mut each: impl FnMut(OpenRow<'_>),
) -> Result<()> {
    let settled = crate::tally::settled_on(conn, Some(as_of))?.invoices;
    let mut stmt = conn.prepare_cached(
        "SELECT id, client_id, number, issue_date, due_date, amount, currency FROM invoice WHERE id BETWEEN ?2 AND ?3 AND issue_date <= ?1 AND amount > 0 AND withdrawn_by IS NULL",
    )?;
    let mut q = stmt.query(params![IsoDate::from(as_of), ids.start(), ids.end()])?;
    while let Some(r) = q.next()? {
        let id: i64 = r.get(0)?;
        let amount: i64 = r.get(5)?;
        let open = amount - settled.get(id);
        if open > 0 {
            each(OpenRow {
                id,
                client_id: r.get(1)?,
                number: r.get_ref(2)?.as_str().unwrap_or(""),
                issue: iso_column(r, 3)?,
                due: iso_column(r, 4)?,
                amount,
                open,
                currency: Currency::from_stored(r.get_ref(6)?.as_bytes().unwrap_or(b""))?,
            });
        }
    }
    Ok(())
}

/// A communication's invoices and the highest level they reached, with its day.
type Listed = (Vec<WorkInvoice>, (usize, Option<Date>));

/// The invoices of communications `range` of `actions`, in due-date order,
/// each list with the highest level its invoices reached (and when): the
/// items read in their order, those of other communications passed over.
fn invoices_of(
    facts: &EngineFacts,
    owner: &[usize],
    actions: &[engine::Action],
    range: std::ops::Range<usize>,
    as_of: Date,
) -> Vec<Listed> {
    let mut out: Vec<Listed> = actions[range.clone()]
        .iter()
        .map(|a| (Vec::with_capacity(a.items.len()), (0, None)))
        .collect();
    for (n, (i, &at)) in facts.items.iter().zip(owner).enumerate() {
        if !range.contains(&at) {
            continue;
        }
        let (invoices, reached) = &mut out[at - range.start];
        *reached = (*reached).max((i.steps_done, i.last_step_date));
        invoices.push(WorkInvoice {
            id: i.invoice_id,
            number: facts.numbers[n].to_string(),
            issue_date: i.issue_date,
            due_date: i.due_date,
            days_late: (as_of - i.due_date).num_days(),
            remindable_cents: i.open_cents - i.disputed_cents,
        });
    }
    for (invoices, _) in &mut out {
        invoices.sort_by(|x, y| (x.due_date, &x.number).cmp(&(y.due_date, &y.number)));
    }
    out
}

/// A client as the Relances table looks at it.
struct FollowedClient<'a> {
    state: &'a ClientState,
    scenario: Option<&'a Scenario>,
    card: Option<&'a Card>,
    /// Its folded name and code, each followed by a space (when searching).
    text: String,
}

/// The step due now if any, else the next to come: its index, day and channel.
fn next_of(
    scenario: Option<&Scenario>,
    item: &Item,
    as_of: Date,
) -> (Option<usize>, Option<Date>, Option<Channel>) {
    let Some(s) = scenario else {
        return (None, None, None);
    };
    match engine::due_step(s, item, as_of).or_else(|| engine::next_step(s, item, as_of)) {
        Some((i, d)) => (Some(i), Some(d), Some(s.steps[i].channel)),
        None => (None, None, None),
    }
}

/// Open amount per invoice as of a day (issued by then, matching dated by then).
pub(crate) type OpenInvoice = (i64, i64, String, Date, Date, i64, Currency);

impl Ledger {
    /// The scenarios in use: the user's, else the defaults.
    pub fn scenarios(&self) -> Result<Vec<Scenario>> {
        match self.setting(SCENARIOS_SETTING)? {
            Some(json) => {
                let scenarios: Vec<Scenario> = serde_json::from_str(&json).map_err(|e| {
                    Error::invalid(
                        "scénarios",
                        format!("réglage illisible ({e}) : rétablissez les scénarios par défaut"),
                    )
                })?;
                // Saved by hand or by an older version: checked as if typed.
                validate_scenarios(&scenarios).map_err(|e| {
                    Error::invalid(
                        "scénarios",
                        format!("réglage enregistré invalide ({e}) : corrigez-le ou rétablissez les scénarios par défaut"),
                    )
                })?;
                Ok(scenarios)
            }
            None => Ok(engine::default_scenarios()),
        }
    }

    /// Replaces the scenarios after checking them.
    pub fn set_scenarios(&self, scenarios: &[Scenario]) -> Result<()> {
        validate_scenarios(scenarios)?;
        let json = serde_json::to_string(scenarios)
            .map_err(|e| Error::invalid("scénarios", e.to_string()))?;
        self.set_setting(SCENARIOS_SETTING, &json)
    }

    /// Back to the default scenarios.
    pub fn reset_scenarios(&self) -> Result<()> {
        self.conn
            .execute("DELETE FROM setting WHERE key = ?1", [SCENARIOS_SETTING])?;
        Ok(())
    }

    /// The invoices open on `as_of`: issued by then, less the matching
    /// dated by then.
    pub(crate) fn open_invoices_at(&self, as_of: Date) -> Result<Vec<OpenInvoice>> {
        let mut out = Vec::new();
        each_open_invoice(&self.conn, as_of, 0..=i64::MAX, |o| {
            out.push((
                o.id,
                o.client_id,
                o.number.to_string(),
                o.issue,
                o.due,
                o.open,
                o.currency,
            ))
        })?;
        Ok(out)
    }

    /// The facts the engine needs on `as_of`, read from the ledger.
    pub fn engine_facts(&self, as_of: Date) -> Result<EngineFacts> {
        // The open invoices cut in two by id, one part read on each core;
        // the second also reads the follow-up (levels, hand-overs, disputes,
        // pauses, last contacts).
        self.read_in_two(|conn, second| {
            let (open, follow) = match second {
                None => (
                    OpenPart::read(conn, as_of, 0..=i64::MAX)?,
                    FollowUp::read(conn, as_of)?,
                ),
                Some(second) => {
                    let cut = max_id(conn, "invoice")? / 2;
                    std::thread::scope(|scope| {
                        let other = scope.spawn(move || -> Result<_> {
                            Ok((
                                OpenPart::read(second, as_of, cut + 1..=i64::MAX)?,
                                FollowUp::read(second, as_of)?,
                            ))
                        });
                        let mine = OpenPart::read(conn, as_of, 0..=cut);
                        let other = other.join().expect("the other part of the facts");
                        let (mut open, (rest, follow)) = (mine?, other?);
                        open.append(rest);
                        Ok::<_, Error>((open, follow))
                    })?
                }
            };
            let FollowUp {
                levels,
                handed,
                disputed,
                invoice_pause,
                client_pause,
                global_pause,
                last_contact,
            } = follow;
            let OpenPart {
                open,
                numbers,
                amounts,
            } = open;
            let mut promise_until: HashMap<i64, Date> = HashMap::default();
            for p in self.promises(None, as_of)? {
                if p.status == PromiseStatus::Running {
                    later(promise_until.entry(p.client_id).or_insert(p.due), p.due);
                }
            }
            let mut clients = Vec::new();
            {
                let mut stmt =
                    conn.prepare_cached("SELECT id, segment, do_not_remind FROM client")?;
                let mut q = stmt.query([])?;
                while let Some(r) = q.next()? {
                    let id: i64 = r.get(0)?;
                    clients.push(ClientState {
                        client_id: id,
                        segment: r.get(1)?,
                        do_not_remind: r.get(2)?,
                        paused_until: client_pause.get(&id).copied(),
                        promise_until: promise_until.get(&id).copied(),
                        last_contact: last_contact.get(&id).copied(),
                        score: None,
                    });
                }
            }
            // Scores are only worked out when a scenario depends on them.
            if self
                .scenarios()?
                .iter()
                .any(|s| s.for_score_below.is_some())
            {
                let owing: std::collections::HashSet<i64> = open.iter().map(|o| o.1).collect();
                for c in clients.iter_mut().filter(|c| owing.contains(&c.client_id)) {
                    c.score = Some(self.reliability(c.client_id, as_of)?.score);
                }
            }
            let items = open
                .into_iter()
                .map(|(id, client_id, issue, due, open, currency)| {
                    let (steps_done, last, collection_step) = levels
                        .get(&id)
                        .map(|&(s, d, c)| (s, Some(d), c.is_some()))
                        .unwrap_or((0, None, false));
                    let in_collection =
                        collection_step || handed.get(&id).copied().unwrap_or(false);
                    Item {
                        invoice_id: id,
                        client_id,
                        currency,
                        issue_date: issue,
                        due_date: due,
                        open_cents: open,
                        disputed_cents: match disputed.get(&id) {
                            Some(Some(part)) => (*part).min(open),
                            Some(None) => open,
                            None => 0,
                        },
                        steps_done,
                        last_step_date: last,
                        paused_until: invoice_pause.get(&id).copied(),
                        in_collection,
                    }
                })
                .collect::<Vec<Item>>();
            // Every total the engine and the letters make (per action, per
            // letter) adds up a part of these: if all of them fit, those do.
            crate::money::sum_cents(items.iter().map(|i| i.open_cents.max(0)))?;
            Ok(EngineFacts {
                clients,
                items,
                global_pause,
                numbers,
                amounts,
            })
        })
    }

    /// The scenarios, the facts of `as_of` and the engine's work list on them.
    fn engine_run(&self, as_of: Date) -> Result<(Vec<Scenario>, EngineFacts, engine::WorkList)> {
        let scenarios = self.scenarios()?;
        let facts = self.engine_facts(as_of)?;
        let list = engine::work_list(
            &facts.clients,
            &facts.items,
            &scenarios,
            as_of,
            facts.global_pause,
        );
        Ok((scenarios, facts, list))
    }

    /// The work of `as_of`: communications to make, clients held and why,
    /// promises falling due and promises broken.
    pub fn work_list(&self, as_of: Date) -> Result<DayWork> {
        let (_, facts, list) = self.engine_run(as_of)?;
        let mut people = self.client_cards()?;
        // Each invoice's communication, then the invoices read in the order
        // of the items: a communication's positions jump about the items, and
        // at 100 000 invoices following them was a cache miss per invoice.
        // The communications are shared out over two threads.
        let mut owner = vec![usize::MAX; facts.items.len()];
        for (at, action) in list.actions.iter().enumerate() {
            for &n in &action.items {
                owner[n] = at;
            }
        }
        let half = list.actions.len() / 2;
        let (facts, owner, actions) = (&facts, &owner, &list.actions);
        let (mut first, second) = std::thread::scope(|scope| {
            let second =
                scope.spawn(move || invoices_of(facts, owner, actions, half..actions.len(), as_of));
            let first = invoices_of(facts, owner, actions, 0..half, as_of);
            (
                first,
                second.join().expect("the other half of the work list"),
            )
        });
        first.extend(second);
        let mut rows: Vec<WorkRow> = Vec::with_capacity(first.len());
        let mut actions = list.actions.into_iter().zip(first).peekable();
        while let Some((a, (invoices, (last_step, last_date)))) = actions.next() {
            // A client's communications follow one another: the last one
            // takes the client's card, the others a copy.
            let card = match actions.peek() {
                Some((next, _)) if next.client_id == a.client_id => {
                    people.get(&a.client_id).cloned()
                }
                _ => people.remove(&a.client_id),
            }
            .unwrap_or_default();
            rows.push(WorkRow {
                client_id: a.client_id,
                client_code: card.code,
                client_name: card.name,
                segment: card.segment,
                email: card.email,
                phone: card.phone,
                step: a.step + 1,
                step_name: a.step_name,
                channel: a.channel,
                template: a.template,
                total: Money::new(a.total_cents, a.currency),
                invoices,
                due_since: a.due_since,
                pay_by: a.pay_by,
                last_step,
                last_date,
            });
        }
        rows.sort_by_cached_key(|r| (r.client_name.to_lowercase(), r.step));
        let held = list
            .held
            .into_iter()
            .map(|h| {
                let card = people.get(&h.client_id).cloned().unwrap_or_default();
                HeldRow {
                    client_id: h.client_id,
                    client_code: card.code,
                    client_name: card.name,
                    reason: h.reason,
                }
            })
            .collect();
        let promises = self.promises(None, as_of)?;
        let promises_due = promises
            .iter()
            .filter(|p| p.status == PromiseStatus::Running && p.due == as_of)
            .cloned()
            .collect();
        // Broken yesterday or earlier, still unpaid: to follow up.
        let broken_promises = promises
            .into_iter()
            .filter(|p| p.status == PromiseStatus::Broken)
            .collect();
        Ok(DayWork {
            as_of,
            rows,
            held,
            promises_due,
            broken_promises,
            global_pause: facts.global_pause.filter(|until| as_of <= *until),
        })
    }

    fn client_cards(&self) -> Result<HashMap<i64, Card>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, code, name, segment, email, phone FROM client")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                Card {
                    code: r.get(1)?,
                    name: r.get(2)?,
                    segment: r.get(3)?,
                    email: r.get(4)?,
                    phone: r.get(5)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a communication (or a level set by hand). Every invoice it
    /// covers moves to `step`; with no invoice given, the client's open
    /// invoices below that level on that day.
    pub fn record_reminder(&mut self, new: &NewReminder) -> Result<i64> {
        let tx = self.conn.unchecked_transaction()?;
        let id = self.insert_reminder(new)?;
        tx.commit()?;
        Ok(id)
    }

    /// Checks and writes one communication; the caller holds the transaction.
    pub(crate) fn insert_reminder(&self, new: &NewReminder) -> Result<i64> {
        self.insert_reminder_with(new, None, None, String::new())
    }

    /// [`Ledger::insert_reminder`] with the document sent (kept in the
    /// evidence log) or the SHA-256 of one kept elsewhere, and how it went.
    pub(crate) fn insert_reminder_with(
        &self,
        new: &NewReminder,
        document: Option<crate::evidence::Proof>,
        sha256: Option<String>,
        result: String,
    ) -> Result<i64> {
        check_single_line("résultat de l'appel", &new.outcome, 200)?;
        if new.note.len() > 4000 {
            return Err(Error::invalid("note", "4 000 caractères au plus"));
        }
        let client = self.client(new.client_id)?;
        let scenarios = self.scenarios()?;
        let facts = self.engine_facts(new.date)?;
        let scenario = facts
            .clients
            .iter()
            .find(|c| c.client_id == new.client_id)
            .and_then(|c| engine::scenario_for(&scenarios, c))
            .ok_or_else(|| Error::invalid("scénario", "aucun scénario défini"))?;
        if new.step == 0 || new.step > scenario.steps.len() {
            return Err(Error::invalid(
                "niveau",
                format!(
                    "{} : le scénario « {} » a les niveaux 1 à {}",
                    new.step,
                    scenario.name,
                    scenario.steps.len()
                ),
            ));
        }
        let of_client: Vec<&Item> = facts
            .items
            .iter()
            .filter(|i| i.client_id == new.client_id)
            .collect();
        let invoices: Vec<&Item> = if new.invoice_ids.is_empty() {
            of_client
                .iter()
                .copied()
                .filter(|i| i.steps_done < new.step)
                .collect()
        } else {
            pick_open(
                &of_client,
                &new.invoice_ids,
                |i| i.invoice_id,
                &client.name,
                new.date,
            )?
            .into_iter()
            .copied()
            .collect()
        };
        if invoices.is_empty() {
            return Err(Error::invalid(
                "factures",
                format!(
                    "{} n'a aucune facture ouverte sous le niveau {} au {}",
                    client.name,
                    new.step,
                    dates::format_fr(new.date)
                ),
            ));
        }
        let currency = invoices[0].currency.as_str();
        let total =
            crate::money::sum_cents(invoices.iter().map(|i| i.open_cents - i.disputed_cents))?;
        let tx = &self.conn;
        tx.execute(
            "INSERT INTO reminder (client_id, step, step_name, channel, date, currency, total, outcome, note, manual, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                new.client_id,
                new.step as i64,
                scenario.steps[new.step - 1].name,
                new.channel.as_str(),
                IsoDate::from(new.date),
                currency,
                total,
                new.outcome.trim(),
                new.note,
                new.manual,
                now_stamp()
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut link = tx.prepare_cached(
                "INSERT INTO reminder_invoice (reminder_id, invoice_id) VALUES (?1, ?2)",
            )?;
            for i in &invoices {
                link.execute(params![id, i.invoice_id])?;
            }
        }
        // The reference a transfer paying this communication names.
        let recorded: Vec<i64> = invoices.iter().map(|i| i.invoice_id).collect();
        crate::bank::remember_reference(tx, new.client_id, &recorded)?;
        if !new.invoice_ids.is_empty() {
            crate::bank::remember_reference(tx, new.client_id, &new.invoice_ids)?;
        }
        let numbers: HashMap<i64, &str> = facts
            .items
            .iter()
            .zip(facts.numbers.iter())
            .map(|(i, n)| (i.invoice_id, n))
            .collect();
        let recipient = match new.channel {
            Channel::Call => client.phone.clone(),
            Channel::Email => [client.email.as_str(), client.email_cc.as_str()]
                .iter()
                .filter(|a| !a.trim().is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            Channel::Collection => String::new(),
            _ => format!(
                "{}, {}, {} {}",
                client.name, client.address, client.postcode, client.city
            ),
        };
        let step_name = &scenario.steps[new.step - 1].name;
        let detail = [new.outcome.trim(), new.note.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .fold(
                format!("niveau {} : {step_name}", new.step),
                |text, part| text + " — " + part,
            );
        let kept = self.log_evidence(crate::evidence::NewEvidence {
            date: Some(new.date),
            kind: Some(if new.manual {
                crate::evidence::EvidenceKind::Level
            } else {
                crate::evidence::EvidenceKind::Reminder
            }),
            channel: new.channel.as_str(),
            client_id: Some(new.client_id),
            recipient: if new.manual { String::new() } else { recipient },
            invoices: invoices
                .iter()
                .map(|i| {
                    (
                        numbers
                            .get(&i.invoice_id)
                            .copied()
                            .unwrap_or("")
                            .to_string(),
                        i.open_cents - i.disputed_cents,
                    )
                })
                .collect(),
            amount_cents: Some(total),
            currency,
            detail,
            document,
            document_sha256: sha256,
            result,
        })?;
        if kept.is_some() {
            tx.execute(
                "UPDATE reminder SET document_sha256 = ?1 WHERE id = ?2",
                params![kept, id],
            )?;
        }
        Ok(id)
    }

    /// Records a promise to pay.
    pub fn add_promise(
        &self,
        client_id: i64,
        amount: Money,
        made_on: Date,
        due: Date,
        note: &str,
    ) -> Result<i64> {
        if amount.cents <= 0 {
            return Err(Error::invalid("montant promis", "doit être positif"));
        }
        if due < made_on {
            return Err(Error::invalid(
                "date promise",
                "ne peut précéder le jour de la promesse",
            ));
        }
        self.client(client_id)?;
        self.atomically(|| {
            self.conn.execute(
                "INSERT INTO promise (client_id, amount, currency, made_on, due, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![client_id, amount.cents, amount.currency.as_str(), IsoDate::from(made_on), IsoDate::from(due), note, now_stamp()],
            )?;
            let id = self.conn.last_insert_rowid();
            self.log_evidence(crate::evidence::NewEvidence {
                date: Some(made_on),
                kind: Some(crate::evidence::EvidenceKind::Promise),
                client_id: Some(client_id),
                amount_cents: Some(amount.cents),
                currency: amount.currency.as_str(),
                detail: format!("promesse de payer {} au plus tard le {} {}", amount.format_fr(), dates::format_fr(due), note.trim()).trim_end().to_string(),
                ..Default::default()
            })?;
            Ok(id)
        })
    }

    /// Promises (of one client or all) with their state on `as_of`.
    pub fn promises(&self, client_id: Option<i64>, as_of: Date) -> Result<Vec<PromiseView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.client_id, c.name, p.amount, p.currency, p.made_on, p.due, p.note, p.cancelled_on,
                    (SELECT COALESCE(SUM(y.amount), 0) FROM payment y WHERE y.client_id = p.client_id AND y.currency = p.currency AND y.withdrawn_by IS NULL
                        AND y.date >= p.made_on AND y.date <= MIN(p.due, ?2))
             FROM promise p JOIN client c ON c.id = p.client_id
             WHERE (?1 IS NULL OR p.client_id = ?1) AND p.made_on <= ?2
             ORDER BY p.due, p.id",
        )?;
        let rows = stmt.query_map(params![client_id, IsoDate::from(as_of)], |r| {
            let cancelled: Option<Date> = r.get(8)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Date>(5)?,
                r.get::<_, Date>(6)?,
                r.get::<_, String>(7)?,
                cancelled,
                r.get::<_, i64>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, client_id, client_name, amount, currency, made_on, due, note, cancelled, paid) =
                row?;
            let status = if cancelled.is_some_and(|d| d <= as_of) {
                PromiseStatus::Cancelled
            } else if paid >= amount {
                PromiseStatus::Kept
            } else if as_of > due {
                PromiseStatus::Broken
            } else {
                PromiseStatus::Running
            };
            out.push(PromiseView {
                id,
                client_id,
                client_name,
                amount: Money::new(amount, crate::money::Currency::parse(&currency)?),
                made_on,
                due,
                note,
                paid_cents: paid,
                status,
            });
        }
        Ok(out)
    }

    /// Opens a dispute on an invoice: the whole of it (`amount` = `None`) or part.
    pub fn add_dispute(
        &self,
        invoice_id: i64,
        amount_cents: Option<i64>,
        reason: &str,
        opened_on: Date,
    ) -> Result<i64> {
        check_single_line("motif du litige", reason, 300)?;
        if reason.trim().is_empty() {
            return Err(Error::invalid("motif du litige", "obligatoire"));
        }
        let invoice = self.invoice(invoice_id)?;
        if let Some(a) = amount_cents {
            if a <= 0 || a > invoice.amount_cents {
                return Err(Error::invalid(
                    "montant en litige",
                    "doit être positif et ne pas dépasser la facture",
                ));
            }
        }
        self.atomically(|| {
            self.conn.execute(
                "INSERT INTO dispute (invoice_id, amount, reason, opened_on, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![invoice_id, amount_cents, reason.trim(), IsoDate::from(opened_on), now_stamp()],
            )?;
            let id = self.conn.last_insert_rowid();
            let cents = amount_cents.unwrap_or(invoice.amount_cents);
            self.log_evidence(crate::evidence::NewEvidence {
                date: Some(opened_on),
                kind: Some(crate::evidence::EvidenceKind::DisputeOpened),
                client_id: Some(invoice.client_id),
                invoices: vec![(invoice.number.clone(), cents)],
                amount_cents: Some(cents),
                currency: invoice.currency.as_str(),
                detail: reason.trim().to_string(),
                ..Default::default()
            })?;
            Ok(id)
        })
    }

    /// Closes a dispute: its amount is reminded again from `date`.
    pub fn close_dispute(&self, dispute_id: i64, date: Date) -> Result<()> {
        self.atomically(|| {
            let n = self.conn.execute(
                "UPDATE dispute SET closed_on = ?1 WHERE id = ?2 AND closed_on IS NULL",
                params![IsoDate::from(date), dispute_id],
            )?;
            if n == 0 {
                return Err(Error::invalid(
                    "litige",
                    format!("{dispute_id} : introuvable ou déjà clos"),
                ));
            }
            let (invoice_id, reason): (i64, String) = self.conn.query_row(
                "SELECT invoice_id, reason FROM dispute WHERE id = ?1",
                [dispute_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let invoice = self.invoice(invoice_id)?;
            self.log_evidence(crate::evidence::NewEvidence {
                date: Some(date),
                kind: Some(crate::evidence::EvidenceKind::DisputeClosed),
                client_id: Some(invoice.client_id),
                invoices: vec![(invoice.number.clone(), invoice.amount_cents)],
                currency: invoice.currency.as_str(),
                detail: reason,
                ..Default::default()
            })?;
            Ok(())
        })
    }

    /// Holds reminders until `until` (inclusive).
    pub fn add_pause(&self, scope: PauseScope, until: Date, reason: &str) -> Result<i64> {
        check_single_line("motif de la suspension", reason, 300)?;
        let (invoice, client) = match scope {
            PauseScope::Invoice(id) => (Some(self.invoice(id)?.id), None),
            PauseScope::Client(id) => (None, Some(self.client(id)?.id)),
            PauseScope::All => (None, None),
        };
        self.atomically(|| {
            self.conn.execute(
                "INSERT INTO pause (invoice_id, client_id, until, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![invoice, client, IsoDate::from(until), reason.trim(), now_stamp()],
            )?;
            let id = self.conn.last_insert_rowid();
            let (client_id, invoices) = match invoice {
                Some(i) => {
                    let inv = self.invoice(i)?;
                    (Some(inv.client_id), vec![(inv.number, inv.amount_cents)])
                }
                None => (client, Vec::new()),
            };
            self.log_evidence(crate::evidence::NewEvidence {
                date: Some(chrono::Local::now().date_naive()),
                kind: Some(crate::evidence::EvidenceKind::Pause),
                client_id,
                invoices,
                detail: format!(
                    "relances suspendues{} jusqu'au {} {}",
                    if client_id.is_none() { " pour tous les clients" } else { "" },
                    dates::format_fr(until),
                    reason.trim()
                )
                .trim_end()
                .to_string(),
                ..Default::default()
            })?;
            Ok(id)
        })
    }

    /// The last communication recorded for a client, if any.
    pub fn last_reminder(&self, client_id: i64) -> Result<Option<(u32, Date)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT step, date FROM reminder WHERE client_id = ?1 ORDER BY date DESC, id DESC LIMIT 1",
                [client_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

#[derive(Clone, Debug, Default)]
struct Card {
    code: String,
    name: String,
    segment: String,
    email: String,
    phone: String,
}

fn later(slot: &mut Date, candidate: Date) {
    if candidate > *slot {
        *slot = candidate;
    }
}

/// Checks scenarios before they are saved: names on one line, at least one
/// step, offsets within ten years, segments not repeated.
pub fn validate_scenarios(scenarios: &[Scenario]) -> Result<()> {
    if scenarios.is_empty() {
        return Err(Error::invalid("scénarios", "il en faut au moins un"));
    }
    let mut segments = std::collections::HashSet::new();
    for s in scenarios {
        check_single_line("nom du scénario", &s.name, 80)?;
        check_single_line("segment", &s.segment, 40)?;
        if s.segment.trim().is_empty() || !segments.insert(s.segment.trim()) {
            return Err(Error::invalid(
                "segment",
                format!("« {} » : vide ou utilisé deux fois", s.segment),
            ));
        }
        if s.steps.is_empty() {
            return Err(Error::invalid(
                format!("scénario « {} »", s.name),
                "il faut au moins une étape",
            ));
        }
        if s.min_gap_days > 365 {
            return Err(Error::invalid("écart minimum", "365 jours au plus"));
        }
        for step in &s.steps {
            check_single_line("nom de l'étape", &step.name, 80)?;
            check_single_line("modèle", &step.template, 60)?;
            let days = match step.offset {
                engine::Offset::Due(d) | engine::Offset::Issue(d) | engine::Offset::Previous(d) => {
                    d
                }
            };
            if days.abs() > 3650 {
                return Err(Error::invalid(
                    format!("étape « {} »", step.name),
                    "décalage de dix ans au plus",
                ));
            }
            if step.min_amount_cents < 0 || step.pay_within_days > 365 {
                return Err(Error::invalid(
                    format!("étape « {} »", step.name),
                    "montant minimum positif, délai de paiement de 365 jours au plus",
                ));
            }
        }
    }
    Ok(())
}

/// Reads `Deserialize` scenarios from JSON with a clear error.
pub fn scenarios_from_json(json: &str) -> Result<Vec<Scenario>> {
    let scenarios: Vec<Scenario> = serde_json::from_str(json)
        .map_err(|e| Error::invalid("scénarios", format!("JSON invalide : {e}")))?;
    validate_scenarios(&scenarios)?;
    Ok(scenarios)
}

/// Filters of the Relances table.
#[derive(Clone, Debug, Default)]
pub struct FollowUpFilter {
    /// Client name or code, or invoice number (accents and case ignored).
    pub search: Option<String>,
    pub client_id: Option<i64>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    /// Last level reached (0 = never reminded).
    pub last_step: Option<usize>,
    /// Days late, bounds included (an aging bucket).
    pub min_days_late: Option<i64>,
    pub max_days_late: Option<i64>,
    /// Bucket of the aged balance (0 = not due yet).
    pub bucket: Option<usize>,
    pub segment: Option<String>,
    /// Channel of the next step.
    pub channel: Option<Channel>,
    /// Only the invoices of today's work list.
    pub due_now_only: bool,
    /// At most this many rows (the count and total cover every match).
    pub limit: Option<usize>,
}

/// One unpaid invoice in the Relances table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FollowUpRow {
    pub invoice_id: i64,
    pub client_id: i64,
    pub client_code: String,
    pub client_name: String,
    pub segment: String,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub days_late: i64,
    /// Amount of the invoice, and what is still owed.
    pub amount: Money,
    pub open: Money,
    pub disputed_cents: i64,
    /// Last level reached (0 = none), its name and day.
    pub last_step: usize,
    pub last_step_name: String,
    pub last_date: Option<Date>,
    /// The step due now if any, else the next to come; its channel and day.
    pub next_step: Option<usize>,
    pub next_step_name: String,
    pub next_channel: Option<Channel>,
    pub next_date: Option<Date>,
    /// In today's work list.
    pub due_now: bool,
    /// Why nothing is proposed although a step is due (pause, promise…).
    pub held: Option<String>,
    pub promise: bool,
    pub dispute: bool,
    pub paused: bool,
    pub collection: bool,
}

/// A filtered page of the Relances table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FollowUpPage {
    pub as_of: Date,
    pub rows: Vec<FollowUpRow>,
    pub total_count: usize,
    pub total_open: Vec<Money>,
    /// Levels of the scenarios, for the "last level" filter: (number, names).
    pub levels: Vec<(usize, String)>,
    /// Labels of the aged-balance buckets, for the bucket filter.
    pub buckets: Vec<String>,
}

impl Ledger {
    /// Every unpaid invoice on `as_of` with its level, next step and state,
    /// filtered, most overdue first.
    pub fn follow_up(&self, as_of: Date, filter: &FollowUpFilter) -> Result<FollowUpPage> {
        let (scenarios, facts, list) = self.engine_run(as_of)?;
        let due_now: std::collections::HashSet<i64> = list
            .actions
            .iter()
            .flat_map(|a| a.invoices.iter().copied())
            .collect();
        let held: HashMap<i64, String> = list
            .held
            .into_iter()
            .map(|h| (h.client_id, h.reason))
            .collect();
        let cards = self.client_cards()?;
        let search = filter
            .search
            .as_deref()
            .map(crate::ledger::fold)
            .filter(|s| !s.is_empty());
        // Each client once: its state, scenario and card, and the folded
        // text a search looks in ("name code ", the invoice number after).
        let clients: HashMap<i64, FollowedClient> = facts
            .clients
            .iter()
            .map(|c| {
                let card = cards.get(&c.client_id);
                let text = match (&search, card) {
                    (Some(_), Some(card)) => {
                        crate::ledger::fold(&format!("{} {} ", card.name, card.code))
                    }
                    _ => String::new(),
                };
                let followed = FollowedClient {
                    state: c,
                    scenario: engine::scenario_for(&scenarios, c),
                    card,
                    text,
                };
                (c.client_id, followed)
            })
            .collect();
        let globally_paused = facts.global_pause.is_some_and(|until| as_of <= until);
        let policy = self.aging_policy()?;
        // Every match is counted and totalled; only the page is made into rows.
        // Most overdue first, then by client name and invoice number (then
        // in the items' order, as a stable sort would leave them).
        type Key<'k> = (std::cmp::Reverse<i64>, &'k str, &'k str, usize);
        let mut matches: Vec<(Key, &FollowedClient)> = Vec::new();
        let mut total_open: Vec<Money> = Vec::new();
        for (n, item) in facts.items.iter().enumerate() {
            let Some(client) = clients.get(&item.client_id) else {
                continue;
            };
            let days_late = (as_of - item.due_date).num_days();
            if filter.client_id.is_some_and(|c| c != item.client_id)
                || filter.due_from.is_some_and(|d| item.due_date < d)
                || filter.due_to.is_some_and(|d| item.due_date > d)
                || filter.last_step.is_some_and(|l| l != item.steps_done)
                || filter.min_days_late.is_some_and(|d| days_late < d)
                || filter.max_days_late.is_some_and(|d| days_late > d)
                || filter.bucket.is_some_and(|b| policy.bucket(days_late) != b)
                || filter
                    .segment
                    .as_deref()
                    .is_some_and(|s| s != client.card.map(|c| c.segment.as_str()).unwrap_or(""))
                || (filter.due_now_only && !due_now.contains(&item.invoice_id))
            {
                continue;
            }
            if let Some(needle) = &search {
                let number = crate::ledger::fold(&facts.numbers[n]);
                // The client's text ends with a space: a needle without one
                // is in it or in the number, never across the two.
                let found = client.text.contains(needle.as_str())
                    || if needle.contains(' ') {
                        format!("{}{number}", client.text).contains(needle.as_str())
                    } else {
                        number.contains(needle.as_str())
                    };
                if !found {
                    continue;
                }
            }
            if let Some(channel) = filter.channel {
                if next_of(client.scenario, item, as_of).2 != Some(channel) {
                    continue;
                }
            }
            crate::ledger::add_to(&mut total_open, Money::new(item.open_cents, item.currency))?;
            let name = client.card.map(|c| c.name.as_str()).unwrap_or("");
            let key = (std::cmp::Reverse(days_late), name, &facts.numbers[n], n);
            matches.push((key, client));
        }
        let total_count = matches.len();
        let limit = filter.limit.unwrap_or(usize::MAX).min(total_count);
        if limit > 0 && limit < total_count {
            matches.select_nth_unstable_by(limit - 1, |a, b| a.0.cmp(&b.0));
            matches.truncate(limit);
        }
        matches.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let rows = matches
            .into_iter()
            .map(|((_, _, _, n), client)| {
                let item = &facts.items[n];
                let state = client.state;
                let scenario = client.scenario;
                let card = client.card.cloned().unwrap_or_default();
                let (next, next_date, next_channel) = next_of(scenario, item, as_of);
                let step_name = |i: usize| {
                    scenario
                        .and_then(|s| s.steps.get(i))
                        .map(|s| s.name.clone())
                        .unwrap_or_default()
                };
                let currency = item.currency;
                let in_pause = item.paused_until.is_some_and(|u| as_of <= u)
                    || state.paused_until.is_some_and(|u| as_of <= u)
                    || globally_paused;
                FollowUpRow {
                    invoice_id: item.invoice_id,
                    client_id: item.client_id,
                    client_code: card.code,
                    client_name: card.name,
                    segment: card.segment,
                    number: facts.numbers[n].to_string(),
                    issue_date: item.issue_date,
                    due_date: item.due_date,
                    days_late: (as_of - item.due_date).num_days(),
                    amount: Money::new(facts.amounts[n], currency),
                    open: Money::new(item.open_cents, currency),
                    disputed_cents: item.disputed_cents,
                    last_step: item.steps_done,
                    last_step_name: if item.steps_done == 0 {
                        String::new()
                    } else {
                        step_name(item.steps_done - 1)
                    },
                    last_date: item.last_step_date,
                    next_step: next.map(|i| i + 1),
                    next_step_name: next.map(step_name).unwrap_or_default(),
                    next_channel,
                    next_date,
                    due_now: due_now.contains(&item.invoice_id),
                    held: if due_now.contains(&item.invoice_id) {
                        None
                    } else {
                        held.get(&item.client_id).cloned()
                    },
                    promise: state.promise_until.is_some_and(|u| as_of <= u),
                    dispute: item.disputed_cents > 0,
                    paused: in_pause,
                    collection: item.in_collection,
                }
            })
            .collect();
        let mut levels: Vec<(usize, String)> = Vec::new();
        for s in &scenarios {
            for (i, step) in s.steps.iter().enumerate() {
                if !levels
                    .iter()
                    .any(|(n, name)| *n == i + 1 && *name == step.name)
                {
                    levels.push((i + 1, step.name.clone()));
                }
            }
        }
        levels.sort();
        Ok(FollowUpPage {
            as_of,
            rows,
            total_count,
            total_open,
            levels,
            buckets: policy.labels(),
        })
    }

    /// "Enregistrer comme effectuée" on a selection of invoices: one
    /// communication per client × step × currency, at the step due now (else
    /// the next one), through that step's channel. Returns the reminder ids.
    pub fn record_selection(
        &mut self,
        invoice_ids: &[i64],
        date: Date,
        note: &str,
    ) -> Result<Vec<i64>> {
        if invoice_ids.is_empty() {
            return Err(Error::invalid("sélection", "aucune facture choisie"));
        }
        let scenarios = self.scenarios()?;
        let facts = self.engine_facts(date)?;
        let mut groups: std::collections::BTreeMap<(i64, usize, Currency), (Channel, Vec<i64>)> =
            Default::default();
        for id in invoice_ids {
            let item = selected_item(&facts, *id, date)?;
            let scenario = facts
                .clients
                .iter()
                .find(|c| c.client_id == item.client_id)
                .and_then(|c| engine::scenario_for(&scenarios, c))
                .ok_or_else(|| Error::invalid("scénario", "aucun scénario défini"))?;
            let Some((index, _)) = engine::due_step(scenario, item, date)
                .or_else(|| engine::next_step(scenario, item, date))
            else {
                return Err(Error::invalid(
                    "sélection",
                    format!(
                        "la facture {} a atteint la dernière étape de son scénario",
                        &facts.numbers[facts
                            .items
                            .iter()
                            .position(|i| i.invoice_id == *id)
                            .unwrap_or(0)]
                    ),
                ));
            };
            groups
                .entry((item.client_id, index + 1, item.currency))
                .or_insert((scenario.steps[index].channel, Vec::new()))
                .1
                .push(*id);
        }
        let mut ids = Vec::new();
        // All or nothing: a savepoint around the whole selection.
        let sp = self.conn.unchecked_transaction()?;
        for ((client_id, step, _), (channel, invoices)) in groups {
            ids.push(self.insert_reminder(&NewReminder {
                client_id,
                step,
                channel,
                date,
                invoice_ids: invoices,
                outcome: String::new(),
                note: note.to_string(),
                manual: false,
            })?);
        }
        sp.commit()?;
        Ok(ids)
    }
}

impl Ledger {
    /// Sets by hand the level of a selection of invoices (one record per
    /// client, marked as not being a contact).
    pub fn set_level(
        &mut self,
        invoice_ids: &[i64],
        step: usize,
        date: Date,
        note: &str,
    ) -> Result<Vec<i64>> {
        if invoice_ids.is_empty() {
            return Err(Error::invalid("sélection", "aucune facture choisie"));
        }
        let facts = self.engine_facts(date)?;
        let mut by_client: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
        for id in invoice_ids {
            let item = selected_item(&facts, *id, date)?;
            by_client.entry(item.client_id).or_default().push(*id);
        }
        let scenarios = self.scenarios()?;
        let tx = self.conn.unchecked_transaction()?;
        let mut ids = Vec::new();
        for (client_id, invoices) in by_client {
            let channel = facts
                .clients
                .iter()
                .find(|c| c.client_id == client_id)
                .and_then(|c| engine::scenario_for(&scenarios, c))
                .and_then(|s| s.steps.get(step.saturating_sub(1)))
                .map(|s| s.channel)
                .unwrap_or(Channel::Letter);
            ids.push(self.insert_reminder(&NewReminder {
                client_id,
                step,
                channel,
                date,
                invoice_ids: invoices,
                outcome: String::new(),
                note: note.to_string(),
                manual: true,
            })?);
        }
        tx.commit()?;
        Ok(ids)
    }
}

/// The invoices `ids` among a client's open ones, in the order asked; an id
/// that is not one of them is refused, naming the client and the day.
pub(crate) fn pick_open<'a, T>(
    open: &'a [T],
    ids: &[i64],
    id_of: impl Fn(&T) -> i64,
    client_name: &str,
    date: Date,
) -> Result<Vec<&'a T>> {
    ids.iter()
        .map(|id| {
            open.iter().find(|o| id_of(o) == *id).ok_or_else(|| {
                Error::invalid(
                    "factures",
                    format!(
                        "la facture {id} n'est pas une facture ouverte de {client_name} au {}",
                        dates::format_fr(date)
                    ),
                )
            })
        })
        .collect()
}

/// An invoice of a selection, which must still be open on `date`.
fn selected_item(facts: &EngineFacts, id: i64, date: Date) -> Result<&Item> {
    facts
        .items
        .iter()
        .find(|i| i.invoice_id == id)
        .ok_or_else(|| {
            Error::invalid(
                "sélection",
                format!(
                    "la facture {id} n'est plus ouverte au {}",
                    dates::format_fr(date)
                ),
            )
        })
}

/// Setting: the days of the month reminders are sent (seed 004: "the 1st and the 15th").
pub(crate) const REMINDER_DAYS_SETTING: &str = "reminder_days";

impl Ledger {
    /// Days of the month of the reminder sessions (1–31; 31 = the month's last day).
    pub fn reminder_days(&self) -> Result<Vec<u32>> {
        // A bad saved value (named by `setting_problems`) gives the default.
        Ok(self
            .setting(REMINDER_DAYS_SETTING)?
            .and_then(|text| parse_reminder_days(&text).ok())
            .unwrap_or_else(|| vec![1, 15]))
    }

    /// Sets the reminder days from a list like `1, 15`.
    pub fn set_reminder_days(&self, text: &str) -> Result<Vec<u32>> {
        let days = parse_reminder_days(text)?;
        let stored: Vec<String> = days.iter().map(u32::to_string).collect();
        self.set_setting(REMINDER_DAYS_SETTING, &stored.join(","))?;
        Ok(days)
    }
}

/// Reads `1, 15` into sorted days of the month.
pub fn parse_reminder_days(text: &str) -> Result<Vec<u32>> {
    let mut days = Vec::new();
    for part in text.split([',', ';', ' ']).filter(|p| !p.trim().is_empty()) {
        let day: u32 = part.trim().parse().map_err(|_| {
            Error::invalid(
                "jours de relance",
                format!("« {} » n'est pas un jour du mois", part.trim()),
            )
        })?;
        if !(1..=31).contains(&day) {
            return Err(Error::invalid(
                "jours de relance",
                format!("{day} : entre 1 et 31"),
            ));
        }
        if !days.contains(&day) {
            days.push(day);
        }
    }
    if days.is_empty() {
        return Err(Error::invalid(
            "jours de relance",
            "au moins un jour du mois",
        ));
    }
    days.sort_unstable();
    Ok(days)
}

/// What the next reminder session will hold (C8).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionOutlook {
    pub date: Date,
    /// Communications to make that day.
    pub communications: usize,
    /// What they remind, per currency.
    pub total: Vec<Money>,
}

impl Ledger {
    /// The next reminder session on or after `from`, if reminder days are
    /// set, with what the engine will propose that day.
    pub fn next_session(&self, from: Date) -> Result<Option<SessionOutlook>> {
        let Some(date) = next_session(&self.reminder_days()?, from) else {
            return Ok(None);
        };
        let (_, _, list) = self.engine_run(date)?;
        let mut total = Vec::new();
        for action in &list.actions {
            crate::ledger::add_to(&mut total, Money::new(action.total_cents, action.currency))?;
        }
        Ok(Some(SessionOutlook {
            date,
            communications: list.actions.len(),
            total,
        }))
    }
}

/// The first reminder session on or after `from` (a day past the end of a
/// short month falls on its last day).
pub fn next_session(days: &[u32], from: Date) -> Option<Date> {
    use chrono::Datelike;
    let mut month = from.with_day(1)?;
    for _ in 0..13 {
        let next_month = month.checked_add_months(chrono::Months::new(1))?;
        let last = (next_month - chrono::Days::new(1)).day();
        let mut candidates: Vec<Date> = days
            .iter()
            .filter_map(|d| month.with_day((*d).min(last)))
            .filter(|d| *d >= from)
            .collect();
        candidates.sort();
        if let Some(first) = candidates.first() {
            return Some(*first);
        }
        month = next_month;
    }
    None
}
