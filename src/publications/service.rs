//! The rules every part of a publication report shares: the notice the Data
//! User Code of Conduct asks for, the limits on a report's lists, and when
//! the work is due. Who may read a report is in `access`, the lists in
//! `lists`, and filing, editing and the status history in `workflow`.

use chrono::NaiveDate;

use crate::entities::publication_report as report;

/// The Data User Code of Conduct asks for this much notice.
pub const NOTICE_DAYS: i64 = 14;
pub const MAX_COAUTHORS: usize = 100;
pub const MAX_WORKSPACES: usize = 20;

/// The date a work first appears, and what that date is called: the
/// earliest presentation or publication date; a submission date alone
/// stands in when neither is known yet (a preprint or an abstract appears
/// when it is submitted).
pub fn due_date(m: &report::Model) -> Option<(NaiveDate, &'static str)> {
    let appearances = [
        (m.presentation_date, "presentation date"),
        (m.publication_date, "publication date"),
    ];
    appearances
        .into_iter()
        .filter_map(|(d, name)| d.map(|d| (d, name)))
        .min_by_key(|(d, _)| *d)
        .or_else(|| m.submission_date.map(|d| (d, "submission date")))
}

/// The sentence the filer reads after filing.
pub fn notice(days: i64, date_name: &str) -> String {
    let when = match days {
        0 => format!("on its {date_name}"),
        1 => format!("1 day before its {date_name}"),
        d if d > 1 => format!("{d} days before its {date_name}"),
        -1 => format!("1 day after its {date_name}"),
        d => format!("{} days after its {date_name}", -d),
    };
    if days < NOTICE_DAYS {
        format!(
            "This report was filed {when}; the Data User Code of Conduct asks for at least \
             {NOTICE_DAYS} days. It has been accepted and marked late."
        )
    } else {
        format!(
            "This report was filed {when}, within the {NOTICE_DAYS} days' notice the Data User \
             Code of Conduct asks for. Thank you."
        )
    }
}

// ---------------------------------------------------------------- reading
