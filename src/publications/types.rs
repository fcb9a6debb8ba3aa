//! The vocabulary of a report (output types, lifecycle statuses) and the
//! format checks for its identifiers and dates.

use std::sync::LazyLock;

use async_graphql::Enum;
use chrono::{Datelike, NaiveDate};
use regex::Regex;

use crate::error::{AppError, AppResult};

/// The kind of output being reported.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "PublicationType")]
pub enum OutputType {
    JournalArticle,
    Preprint,
    ConferenceAbstract,
    OralPresentation,
    Poster,
    /// A thesis or dissertation.
    Thesis,
    BookChapter,
    /// Media or press.
    Media,
    Other,
}

impl OutputType {
    pub const ALL: [OutputType; 9] = [
        OutputType::JournalArticle,
        OutputType::Preprint,
        OutputType::ConferenceAbstract,
        OutputType::OralPresentation,
        OutputType::Poster,
        OutputType::Thesis,
        OutputType::BookChapter,
        OutputType::Media,
        OutputType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputType::JournalArticle => "journal_article",
            OutputType::Preprint => "preprint",
            OutputType::ConferenceAbstract => "conference_abstract",
            OutputType::OralPresentation => "oral_presentation",
            OutputType::Poster => "poster",
            OutputType::Thesis => "thesis",
            OutputType::BookChapter => "book_chapter",
            OutputType::Media => "media",
            OutputType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<OutputType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Where a reported work is in its life. A draft report has a status too
/// (what the filer expects at filing); the history starts when it is filed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PublicationStatus {
    Planned,
    Submitted,
    Accepted,
    Published,
    Presented,
    Withdrawn,
}

impl PublicationStatus {
    pub const ALL: [PublicationStatus; 6] = [
        PublicationStatus::Planned,
        PublicationStatus::Submitted,
        PublicationStatus::Accepted,
        PublicationStatus::Published,
        PublicationStatus::Presented,
        PublicationStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicationStatus::Planned => "planned",
            PublicationStatus::Submitted => "submitted",
            PublicationStatus::Accepted => "accepted",
            PublicationStatus::Published => "published",
            PublicationStatus::Presented => "presented",
            PublicationStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<PublicationStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Statuses that still expect the work to appear: once its date passes,
    /// the filer is asked to update them.
    pub const PENDING: [PublicationStatus; 3] = [
        PublicationStatus::Planned,
        PublicationStatus::Submitted,
        PublicationStatus::Accepted,
    ];
}

/// Crossref's recommended pattern for modern DOIs.
static DOI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^10\.\d{4,9}/[-._;()/:A-Z0-9]+$").expect("DOI pattern compiles")
});
static PMCID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^PMC\d{1,12}$").expect("PMCID pattern compiles"));
/// A Workbench namespace such as `aou-rw-5a1b2c3d`.
static NAMESPACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9-]{2,99}$").expect("namespace pattern"));

/// A DOI in its bare form. Accepts the common `doi:` and `https://doi.org/`
/// spellings and stores the bare `10.xxxx/yyyy`.
pub fn doi(field: &str, raw: &str) -> AppResult<String> {
    let mut value = raw.trim();
    for prefix in [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ] {
        if value.len() >= prefix.len() && value[..prefix.len()].eq_ignore_ascii_case(prefix) {
            value = value[prefix.len()..].trim();
            break;
        }
    }
    if value.len() > 300 || !DOI.is_match(value) {
        return Err(AppError::validation(
            field,
            "is not a valid DOI; it looks like 10.1234/abc-123",
        ));
    }
    Ok(value.to_string())
}

/// A PubMed Central id: `PMC` and digits.
pub fn pmcid(field: &str, raw: &str) -> AppResult<String> {
    let value = raw.trim().to_ascii_uppercase();
    if !PMCID.is_match(&value) {
        return Err(AppError::validation(
            field,
            "is not a valid PMCID; it looks like PMC1234567",
        ));
    }
    Ok(value)
}

/// An http(s) address.
pub fn web_url(field: &str, raw: &str) -> AppResult<String> {
    let value = raw.trim();
    let invalid = || AppError::validation(field, "must be a web address starting with https://");
    if value.len() > 2000 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let parsed = url::Url::parse(value).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid());
    }
    Ok(value.to_string())
}

pub fn namespace(field: &str, raw: &str) -> AppResult<String> {
    let value = raw.trim().to_ascii_lowercase();
    if !NAMESPACE.is_match(&value) {
        return Err(AppError::validation(
            field,
            "is not a Workbench namespace; it looks like aou-rw-1234abcd",
        ));
    }
    Ok(value)
}

/// Dates must be plausible: not before the program's data existed, and not
/// absurdly far in the future.
pub fn sane_date(field: &str, date: NaiveDate, today: NaiveDate) -> AppResult<NaiveDate> {
    if date.year() < 2015 {
        return Err(AppError::validation(field, "must not be before 2015"));
    }
    if date.year() > today.year() + 10 {
        return Err(AppError::validation(
            field,
            "must be within the next ten years",
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doi_forms() {
        assert_eq!(
            doi("doi", "10.1038/s41586-023-06957-x").ok().as_deref(),
            Some("10.1038/s41586-023-06957-x")
        );
        assert_eq!(
            doi("doi", "https://doi.org/10.1016/J.CELL.2019.02.010")
                .ok()
                .as_deref(),
            Some("10.1016/J.CELL.2019.02.010")
        );
        assert_eq!(
            doi("doi", "doi:10.1093/jamia/ocab123").ok().as_deref(),
            Some("10.1093/jamia/ocab123")
        );
        for bad in [
            "",
            "10.12/abc",
            "11.1234/abc",
            "10.1234/",
            "10.1234/has space",
            "10.1234/<script>",
        ] {
            assert!(doi("doi", bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn pmcid_and_url() {
        assert_eq!(
            pmcid("pmcid", "pmc7654321").ok().as_deref(),
            Some("PMC7654321")
        );
        assert!(pmcid("pmcid", "PMC").is_err());
        assert!(pmcid("pmcid", "12345").is_err());
        assert!(web_url("url", "https://example.org/paper").is_ok());
        assert!(web_url("url", "javascript:alert(1)").is_err());
        assert!(web_url("url", "ftp://example.org/x").is_err());
    }
}
