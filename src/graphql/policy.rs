//! The request policy around execution: the alias limit async-graphql
//! lacks, checked on the parsed document before execution; one complexity
//! budget for all the operations of an HTTP request; and a stable
//! `extensions.code` on every error after it, with internal detail kept out
//! of responses.
//!
//! This is deliberately not a schema extension: with any extension
//! registered, async-graphql wraps every field resolution in the extension
//! chain and looks the field up in its registry, which costs more than the
//! field itself on pages of hundreds of fields.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::{
    BatchRequest, BatchResponse, EmptySubscription, Request, Response, Schema, ServerError,
    ValidationMode, ValidationResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation},
    parser::{
        self,
        types::{ExecutableDocument, Selection, SelectionSet},
    },
};

use super::{
    AppSchema,
    schema::{Mutation, Query},
};
use crate::config::GraphqlLimits;
use crate::error::AppError;

/// Executes one request under the policy. Its document is parsed once: the
/// schema reuses the parse.
pub async fn execute(schema: &AppSchema, mut request: Request, max_aliases: usize) -> Response {
    match request.parsed_query() {
        Err(err) => return Response::from_errors(vec![parse_failure(&request.query, err)]),
        Ok(doc) => {
            if let Some(err) = too_many_aliases(doc, max_aliases) {
                return Response::from_errors(vec![err]);
            }
        }
    }
    let mut response = schema.execute(request).await;
    for err in response.errors.iter_mut() {
        coded(err);
    }
    response
}

/// [`execute`] for each operation of a batch, concurrently, in order,
/// once their costs together fit the request's budget. A single operation
/// is held to the same budget by the schema's own complexity limit.
pub async fn execute_batch(
    schema: &AppSchema,
    batch: BatchRequest,
    max_aliases: usize,
) -> BatchResponse {
    match batch {
        BatchRequest::Single(request) => {
            BatchResponse::Single(execute(schema, request, max_aliases).await)
        }
        BatchRequest::Batch(mut requests) => {
            if let Some(meter) = schema.data::<CostMeter>()
                && let Some(refusal) = meter.over_budget(&mut requests).await
            {
                let refusals = requests
                    .iter()
                    .map(|_| Response::from_errors(vec![refusal.clone()]))
                    .collect();
                return BatchResponse::Batch(refusals);
            }
            BatchResponse::Batch(
                futures::future::join_all(
                    requests
                        .into_iter()
                        .map(|request| execute(schema, request, max_aliases)),
                )
                .await,
            )
        }
    }
}

/// Measures what operations cost, as the schema's complexity limit counts
/// them, without running them: a twin of the schema whose one extension
/// records each operation's complexity when it is validated and stops
/// before execution. The twin carries the extension so that the schema
/// that runs resolvers carries none (see the module's note).
pub struct CostMeter {
    twin: Schema<Query, Mutation, EmptySubscription>,
    budget: usize,
}

impl CostMeter {
    pub fn new(limits: GraphqlLimits) -> Self {
        let twin = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
            .limit_depth(limits.max_depth)
            .limit_recursive_depth(limits.max_recursive_depth)
            .limit_directives(8)
            .validation_mode(ValidationMode::Fast)
            .extension(MeasureOnly)
            .finish();
        Self {
            twin,
            budget: limits.max_complexity,
        }
    }

    /// What one operation costs; 0 for one that does not validate, which
    /// execution refuses with its own error.
    pub async fn cost(&self, request: &mut Request) -> usize {
        let Ok(doc) = request.parsed_query().cloned() else {
            return 0;
        };
        let mut probe = Request::new(request.query.clone()).variables(request.variables.clone());
        probe.set_parsed_query(doc);
        if let Some(name) = &request.operation_name {
            probe = probe.operation_name(name.clone());
        }
        let measured = Measured::default();
        self.twin.execute(probe.data(measured.clone())).await;
        measured.0.load(Ordering::Relaxed)
    }

    /// A refusal when the operations together cost more than the budget.
    async fn over_budget(&self, requests: &mut [Request]) -> Option<ServerError> {
        let mut total = 0usize;
        for request in requests.iter_mut() {
            total = total.saturating_add(self.cost(request).await);
        }
        (total > self.budget).then(|| {
            with_code(
                ServerError::new(
                    format!(
                        "the operations of this request cost {total} together (the limit is {}); \
                         ask for smaller pages or send them separately",
                        self.budget
                    ),
                    None,
                ),
                "QUERY_TOO_COMPLEX",
            )
        })
    }
}

/// Where [`MeasureOnly`] leaves an operation's complexity.
#[derive(Clone, Default)]
struct Measured(Arc<AtomicUsize>);

struct MeasureOnly;

impl ExtensionFactory for MeasureOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MeasureOnly)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for MeasureOnly {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await;
        if let (Ok(validated), Some(measured)) = (&result, ctx.data_opt::<Measured>()) {
            measured.0.store(validated.complexity, Ordering::Relaxed);
        }
        result
    }

    /// Nothing runs: the twin only measures.
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::default()
    }
}

fn with_code(mut err: ServerError, code: &str) -> ServerError {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    err
}

fn has_code(err: &ServerError) -> bool {
    err.extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

/// A document that does not parse, coded by the parser's error kind.
/// async-graphql's `ServerError` drops the parser's error, so the query is
/// parsed again for its kind; this runs only on the failure path.
fn parse_failure(query: &str, err: ServerError) -> ServerError {
    let code = match parser::parse_query(query) {
        Err(kind) => parse_code(&kind),
        Ok(_) => "GRAPHQL_PARSE_FAILED",
    };
    with_code(err, code)
}

fn parse_code(kind: &parser::Error) -> &'static str {
    match kind {
        parser::Error::RecursionLimitExceeded => "QUERY_TOO_DEEP",
        _ => "GRAPHQL_PARSE_FAILED",
    }
}

/// Errors raised before any field ran: the document's limits, validation,
/// and choosing the operation. async-graphql gives these no kind, only a
/// message, so this is the one place that reads messages for a code.
fn classify_request_error(err: ServerError) -> ServerError {
    let code = request_error_code(&err.message);
    with_code(err, code)
}

fn request_error_code(message: &str) -> &'static str {
    let msg = message.to_ascii_lowercase();
    if msg.contains("recursi") || msg.contains("too deep") {
        "QUERY_TOO_DEEP"
    } else if msg.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if msg.contains("unknown operation named")
        || msg.contains("operation name required")
        || msg.contains("not configured for")
    {
        "BAD_REQUEST"
    } else if msg.contains("variable") || msg.contains("invalid value") {
        "BAD_USER_INPUT"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    }
}

/// Gives `err` its code, applying the error policy to an `AppError` source.
fn coded(err: &mut ServerError) {
    if has_code(err) {
        return;
    }
    let replaced = if let Some(app) = err.source::<AppError>() {
        // `?` on an AppError inside a resolver: apply the policy now.
        let converted = app.to_graphql();
        let mut new = ServerError::new(converted.message, None);
        new.extensions = converted.extensions;
        new.locations = std::mem::take(&mut err.locations);
        new.path = std::mem::take(&mut err.path);
        new
    } else if err.source.is_some() {
        // Some other error escaped a resolver: log it, say nothing.
        tracing::error!(message = %err.message, path = ?err.path, "unhandled resolver error");
        let mut new = ServerError::new("internal error", None);
        new.locations = std::mem::take(&mut err.locations);
        new.path = std::mem::take(&mut err.path);
        with_code(new, "INTERNAL")
    } else if !err.path.is_empty() {
        // Argument coercion failures raised during execution.
        with_code(err.clone(), "BAD_USER_INPUT")
    } else {
        classify_request_error(err.clone())
    };
    *err = replaced;
}

/// Counts aliased fields, expanding fragment spreads. Each fragment's count is
/// memoised, so a chain of fragments spreading each other twice costs linear
/// work, not exponential; cycles (invalid anyway) count as zero.
struct AliasCounter<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, usize>,
    visiting: HashSet<&'a str>,
}

impl<'a> AliasCounter<'a> {
    fn count(&mut self, set: &'a SelectionSet) -> usize {
        let mut total = 0usize;
        for item in &set.items {
            total = total.saturating_add(match &item.node {
                Selection::Field(field) => usize::from(field.node.alias.is_some())
                    .saturating_add(self.count(&field.node.selection_set.node)),
                Selection::InlineFragment(frag) => self.count(&frag.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            });
        }
        total
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(n) = self.memo.get(name) {
            return *n;
        }
        if !self.visiting.insert(name) {
            return 0;
        }
        let n = match self.doc.fragments.get(name) {
            Some(f) => self.count(&f.node.selection_set.node),
            None => 0,
        };
        self.visiting.remove(name);
        self.memo.insert(name, n);
        n
    }
}

/// Refuses operations with more aliased fields than `max`: aliases let one
/// small request fan out into many resolver calls.
fn too_many_aliases(doc: &ExecutableDocument, max: usize) -> Option<ServerError> {
    for (_, op) in doc.operations.iter() {
        let mut counter = AliasCounter {
            doc,
            memo: HashMap::new(),
            visiting: HashSet::new(),
        };
        let aliases = counter.count(&op.node.selection_set.node);
        if aliases > max {
            return Some(with_code(
                ServerError::new(
                    format!("too many aliases: {aliases} (the limit is {max})"),
                    None,
                ),
                "TOO_MANY_ALIASES",
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(err: &ServerError) -> Option<String> {
        err.extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .map(|v| v.to_string().trim_matches('"').to_string())
    }

    #[test]
    fn a_parse_failure_is_coded_by_the_parsers_error_kind() {
        let syntax = "{ threads(first: ) }";
        let err = parser::parse_query(syntax).expect_err("bad syntax");
        assert_eq!(parse_code(&err), "GRAPHQL_PARSE_FAILED");
        let coded = parse_failure(syntax, err.into());
        assert_eq!(code_of(&coded).as_deref(), Some("GRAPHQL_PARSE_FAILED"));

        let deep = format!("{}{}", "{ a ".repeat(200), "}".repeat(200));
        let err = parser::parse_query(&deep).expect_err("too deep to parse");
        assert!(matches!(err, parser::Error::RecursionLimitExceeded));
        let coded = parse_failure(&deep, err.into());
        assert_eq!(code_of(&coded).as_deref(), Some("QUERY_TOO_DEEP"));

        let two_anonymous = "{ a } { b }";
        let err = parser::parse_query(two_anonymous).expect_err("two anonymous operations");
        assert_eq!(parse_code(&err), "GRAPHQL_PARSE_FAILED");
    }

    #[test]
    fn validation_messages_map_to_their_codes() {
        // async-graphql's own wording for each failure.
        for (message, code) in [
            ("Query is nested too deep.", "QUERY_TOO_DEEP"),
            ("Query is too complex.", "QUERY_TOO_COMPLEX"),
            ("Recursion limit exceeded.", "QUERY_TOO_DEEP"),
            (r#"Unknown operation named "x""#, "BAD_REQUEST"),
            ("Operation name required in request.", "BAD_REQUEST"),
            ("Schema is not configured for mutations.", "BAD_REQUEST"),
            (
                r#"Invalid value for argument "first", expected type "Int""#,
                "BAD_USER_INPUT",
            ),
            (r#"Variable "$n" is not defined"#, "BAD_USER_INPUT"),
            (
                r#"Unknown field "nope" on type "Query"."#,
                "GRAPHQL_VALIDATION_FAILED",
            ),
        ] {
            assert_eq!(request_error_code(message), code, "{message}");
        }
    }
}
