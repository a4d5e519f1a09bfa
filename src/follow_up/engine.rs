//! The reminder engine: who must be reminded today, at which level, how.
//!
//! [`work_list`] is a pure function of the facts (open invoices with the
//! level each has reached, pauses, promises, disputes), the scenarios and the
//! day. It never asks "is today the scheduled day?": it asks "which step has
//! fallen due and not been done?", so a reminder that fell due while the
//! application was closed is still proposed, once, at the level the
//! invoice's lateness calls for (an invoice 60 days late on first import does
//! not start with the courtesy call).
//!
//! One communication per client × step × currency groups every invoice of
//! that client at that step (a statement, not one e-mail per invoice).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::money::Currency;

/// How a step reaches the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Channel {
    /// A phone call to make (a task for the user).
    Call,
    Email,
    Letter,
    EmailAndLetter,
    /// Registered letter with acknowledgement (LRAR).
    Registered,
    /// Hand the file to a collection agency.
    Collection,
}

/// When a step falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "days")]
pub enum Offset {
    /// Days from the due date (negative = before it).
    Due(i32),
    /// Days from the issue date (satisfaction call).
    Issue(i32),
    /// Days after the previous step was done (never reached by skipping it).
    Previous(i32),
}

/// One step of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub offset: Offset,
    pub channel: Channel,
    /// Template key (`relance_1`, `mise_en_demeure`, …).
    pub template: String,
    /// Below this total (cents) the client is not contacted at this step.
    pub min_amount_cents: i64,
    /// The "pay by" date printed on the reminder: today + this many days.
    pub pay_within_days: u32,
    /// A step that only makes sense before or just after issue (courtesy or
    /// satisfaction call): skipped, not caught up, once the invoice is overdue.
    pub before_due_only: bool,
}

/// An ordered list of steps for a segment of clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// The client segment it serves (`grands_comptes`, `standard`, `petits_montants`).
    pub segment: String,
    pub name: String,
    pub steps: Vec<Step>,
    /// Minimum days between two contacts with the same client.
    pub min_gap_days: u32,
    /// Reserved to clients whose reliability score is below this (B3): it
    /// then replaces the scenario of their segment.
    #[serde(default)]
    pub for_score_below: Option<u8>,
}

/// The scenario a client follows: one reserved to its score if any applies,
/// else its segment's, else "standard", else the first.
pub fn scenario_for<'a>(scenarios: &'a [Scenario], client: &ClientState) -> Option<&'a Scenario> {
    scenarios
        .iter()
        .find(|s| {
            s.for_score_below
                .is_some_and(|limit| client.score.is_some_and(|score| score < limit))
        })
        .or_else(|| {
            scenarios
                .iter()
                .find(|s| s.for_score_below.is_none() && s.segment == client.segment)
        })
        .or_else(|| scenarios.iter().find(|s| s.segment == "standard"))
        .or(scenarios.first())
}

fn step(
    name: &str,
    offset: Offset,
    channel: Channel,
    template: &str,
    min_amount_cents: i64,
    pay_within_days: u32,
) -> Step {
    Step {
        name: name.into(),
        offset,
        channel,
        template: template.into(),
        min_amount_cents,
        pay_within_days,
        before_due_only: false,
    }
}

/// The default scenarios (seeds 000 and 004): courtesy and satisfaction calls
/// for key accounts, then the four levels — statement, 2nd reminder, 3rd
/// reminder preceded by a call, formal notice — then collection.
pub fn default_scenarios() -> Vec<Scenario> {
    let levels = |first: i32, min: i64| {
        vec![
            step(
                "Relevé de factures impayées",
                Offset::Due(first),
                Channel::Email,
                "releve",
                min,
                8,
            ),
            step(
                "2e relance",
                Offset::Due(15),
                Channel::Email,
                "relance_2",
                min,
                8,
            ),
            step(
                "Appel avant 3e relance",
                Offset::Due(28),
                Channel::Call,
                "appel",
                min,
                0,
            ),
            step(
                "3e relance",
                Offset::Due(30),
                Channel::EmailAndLetter,
                "relance_3",
                min,
                8,
            ),
            step(
                "Mise en demeure de payer",
                Offset::Due(45),
                Channel::Registered,
                "mise_en_demeure",
                min.max(5_000),
                8,
            ),
            step(
                "Transmission au recouvrement",
                Offset::Previous(15),
                Channel::Collection,
                "recouvrement",
                min.max(15_000),
                0,
            ),
        ]
    };
    let mut key = vec![
        Step {
            before_due_only: true,
            ..step(
                "Appel de satisfaction",
                Offset::Issue(3),
                Channel::Call,
                "appel_satisfaction",
                0,
                0,
            )
        },
        Step {
            before_due_only: true,
            ..step(
                "Appel de courtoisie avant échéance",
                Offset::Due(-5),
                Channel::Call,
                "appel_courtoisie",
                0,
                0,
            )
        },
    ];
    key.extend(levels(7, 0));
    vec![
        Scenario {
            segment: "grands_comptes".into(),
            name: "Grands comptes".into(),
            steps: key,
            min_gap_days: 5,
            for_score_below: None,
        },
        Scenario {
            segment: "standard".into(),
            name: "Standard".into(),
            steps: levels(7, 0),
            min_gap_days: 5,
            for_score_below: None,
        },
        Scenario {
            segment: "petits_montants".into(),
            name: "Petits montants".into(),
            steps: levels(10, 2_000),
            min_gap_days: 7,
            for_score_below: None,
        },
    ]
}

/// An invoice as the engine sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub invoice_id: i64,
    pub client_id: i64,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    /// What is still owed, in cents.
    pub open_cents: i64,
    /// Part of it under dispute (removed from reminders).
    pub disputed_cents: i64,
    /// Steps already done for this invoice (0 = none), derived from recorded reminders.
    pub steps_done: usize,
    /// When the last of them was done.
    pub last_step_date: Option<Date>,
    /// Paused until (inclusive), for this invoice.
    pub paused_until: Option<Date>,
    /// Handed over to a collection agency.
    pub in_collection: bool,
}

/// A client as the engine sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientState {
    pub client_id: i64,
    pub segment: String,
    pub do_not_remind: bool,
    pub paused_until: Option<Date>,
    /// A payment promise running until this date: reminders wait.
    pub promise_until: Option<Date>,
    /// The last contact of any kind (for the minimum gap).
    pub last_contact: Option<Date>,
    /// Reliability score (0–100), when a scenario depends on it.
    pub score: Option<u8>,
}

/// One communication to make today.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Action {
    pub client_id: i64,
    pub currency: Currency,
    /// Index of the step in the client's scenario.
    pub step: usize,
    pub step_name: String,
    pub channel: Channel,
    pub template: String,
    pub invoices: Vec<i64>,
    /// Where these invoices are in the `items` given to [`work_list`], in
    /// the same order.
    #[serde(skip)]
    pub items: Vec<usize>,
    /// Amount to remind (open less disputed), cents.
    pub total_cents: i64,
    /// The day the step fell due (earlier than today = caught up).
    pub due_since: Date,
    pub pay_by: Date,
}

/// Why a client with overdue invoices gets nothing today (shown to the user).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Held {
    pub client_id: i64,
    pub reason: String,
}

/// The day's work.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkList {
    pub actions: Vec<Action>,
    pub held: Vec<Held>,
}

/// The day step `index` of `scenario` falls due for `item`, given when the
/// previous one was done (or fell due).
fn step_date(scenario: &Scenario, index: usize, item: &Item, previous: Option<Date>) -> Date {
    match scenario.steps[index].offset {
        Offset::Due(days) => item.due_date + chrono::Duration::days(days as i64),
        Offset::Issue(days) => item.issue_date + chrono::Duration::days(days as i64),
        Offset::Previous(days) => {
            previous.unwrap_or(item.due_date) + chrono::Duration::days(days as i64)
        }
    }
}

/// The step an invoice is at today: the furthest step that has fallen due
/// among those not done yet, with the day it fell due. `None` if nothing is due.
pub fn due_step(scenario: &Scenario, item: &Item, today: Date) -> Option<(usize, Date)> {
    let overdue = today > item.due_date;
    let mut previous = item.last_step_date;
    let mut found = None;
    for index in item.steps_done..scenario.steps.len() {
        // A step timed from the previous one needs that one really done: the
        // hand-over to collection follows a formal notice actually sent.
        if matches!(scenario.steps[index].offset, Offset::Previous(_)) && index > item.steps_done {
            break;
        }
        let when = step_date(scenario, index, item, previous);
        if when > today {
            break;
        }
        if !(scenario.steps[index].before_due_only && overdue) {
            found = Some((index, when));
        }
        previous = Some(when);
    }
    found
}

/// The next step still to come for `item` after `today` (not yet due), with
/// the day it will fall due; `None` at the end of the scenario. A step timed
/// from the previous one counts from that one's due day.
pub fn next_step(scenario: &Scenario, item: &Item, today: Date) -> Option<(usize, Date)> {
    let overdue = today > item.due_date;
    let mut previous = item.last_step_date;
    for index in item.steps_done..scenario.steps.len() {
        let when = step_date(scenario, index, item, previous);
        if when > today && !(scenario.steps[index].before_due_only && overdue) {
            return Some((index, when));
        }
        previous = Some(when);
    }
    None
}

/// Computes the work list for `today`. `global_pause` holds every reminder until that day.
pub fn work_list(
    clients: &[ClientState],
    items: &[Item],
    scenarios: &[Scenario],
    today: Date,
    global_pause: Option<Date>,
) -> WorkList {
    let mut list = WorkList::default();
    if global_pause.is_some_and(|until| today <= until) {
        return list;
    }
    // Each client with its scenario, looked up once.
    let by_id: foldhash::HashMap<i64, (&ClientState, Option<&Scenario>)> = clients
        .iter()
        .map(|c| (c.client_id, (c, scenario_for(scenarios, c))))
        .collect();
    // Clients are independent: at scale, the two halves (by the parity of
    // their id) are worked out on two threads.
    let parts: Vec<Gathered> = if items.len() >= 20_000 {
        std::thread::scope(|scope| {
            let halves: Vec<_> = (0..2)
                .map(|half| {
                    let by_id = &by_id;
                    scope.spawn(move || {
                        gather(items, by_id, today, |client| client.rem_euclid(2) == half)
                    })
                })
                .collect();
            halves
                .into_iter()
                .map(|h| h.join().expect("a work-list thread"))
                .collect()
        })
    } else {
        vec![gather(items, &by_id, today, |_| true)]
    };
    let mut held: BTreeMap<i64, String> = BTreeMap::new();
    let mut groups: Vec<Action> = Vec::new();
    for part in parts {
        held.extend(part.held);
        groups.extend(part.actions);
    }
    groups.sort_by_key(|a| (a.client_id, a.currency, a.step));
    for action in groups {
        let Some(&(_, Some(scenario))) = by_id.get(&action.client_id) else {
            continue;
        };
        let step = &scenario.steps[action.step];
        if action.total_cents < step.min_amount_cents {
            held.insert(
                action.client_id,
                format!("montant sous le minimum de l'étape « {} »", step.name),
            );
            continue;
        }
        list.actions.push(action);
    }
    let acting: foldhash::HashSet<i64> = list.actions.iter().map(|a| a.client_id).collect();
    list.held = held
        .into_iter()
        .filter(|(id, _)| !acting.contains(id))
        .map(|(client_id, reason)| Held { client_id, reason })
        .collect();
    list
}

/// The communications and the holds of the clients `mine` accepts.
struct Gathered {
    actions: Vec<Action>,
    held: BTreeMap<i64, String>,
}

fn gather(
    items: &[Item],
    by_id: &foldhash::HashMap<i64, (&ClientState, Option<&Scenario>)>,
    today: Date,
    mine: impl Fn(i64) -> bool,
) -> Gathered {
    let mut actions: Vec<Action> = Vec::new();
    let mut group: foldhash::HashMap<(i64, Currency, usize), usize> = foldhash::HashMap::default();
    let mut held: BTreeMap<i64, String> = BTreeMap::new();
    for (position, item) in items.iter().enumerate() {
        let remindable = item.open_cents - item.disputed_cents;
        if remindable <= 0
            || !mine(item.client_id)
            || item.in_collection
            || item.paused_until.is_some_and(|until| today <= until)
        {
            continue;
        }
        let Some(&(client, Some(scenario))) = by_id.get(&item.client_id) else {
            continue;
        };
        let Some((index, since)) = due_step(scenario, item, today) else {
            continue;
        };
        let hold = if client.do_not_remind {
            Some("ne pas relancer".to_string())
        } else if client.paused_until.is_some_and(|until| today <= until) {
            Some("relances suspendues".into())
        } else if client.promise_until.is_some_and(|until| today <= until) {
            Some("promesse de paiement en cours".into())
        } else if client
            .last_contact
            .is_some_and(|last| (today - last).num_days() < scenario.min_gap_days as i64)
        {
            Some(format!(
                "contacté il y a moins de {} jours",
                scenario.min_gap_days
            ))
        } else {
            None
        };
        if let Some(reason) = hold {
            held.entry(client.client_id).or_insert(reason);
            continue;
        }
        let step = &scenario.steps[index];
        let at = *group
            .entry((client.client_id, item.currency, index))
            .or_insert_with(|| {
                actions.push(Action {
                    client_id: client.client_id,
                    currency: item.currency,
                    step: index,
                    step_name: step.name.clone(),
                    channel: step.channel,
                    template: step.template.clone(),
                    invoices: Vec::new(),
                    items: Vec::new(),
                    total_cents: 0,
                    due_since: since,
                    pay_by: today + chrono::Days::new(step.pay_within_days as u64),
                });
                actions.len() - 1
            });
        let action = &mut actions[at];
        action.invoices.push(item.invoice_id);
        action.items.push(position);
        action.total_cents += remindable;
        action.due_since = action.due_since.min(since);
    }
    Gathered { actions, held }
}
