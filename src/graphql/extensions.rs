//! Schema extensions: a stable `extensions.code` on every error, and the
//! alias limit async-graphql lacks.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use async_graphql::{
    Response, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::error::AppError;

/// Gives every error a code and keeps internal detail out of responses.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

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

fn classify_validation(err: ServerError) -> ServerError {
    let msg = err.message.to_ascii_lowercase();
    let code = if msg.contains("nested too deep") || msg.contains("too deep") {
        "QUERY_TOO_DEEP"
    } else if msg.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if msg.contains("variable") || msg.contains("invalid value") {
        "BAD_USER_INPUT"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    };
    with_code(err, code)
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|err| {
            let code = if err.message.to_ascii_lowercase().contains("recursi") {
                "QUERY_TOO_DEEP"
            } else {
                "GRAPHQL_PARSE_FAILED"
            };
            with_code(err, code)
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx)
            .await
            .map_err(|errs| errs.into_iter().map(classify_validation).collect())
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for err in response.errors.iter_mut() {
            if has_code(err) {
                continue;
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
                with_code(err.clone(), "BAD_REQUEST")
            };
            *err = replaced;
        }
        response
    }
}

/// Refuses operations with more aliased fields than `max`: aliases let one
/// small request fan out into many resolver calls.
pub struct AliasLimit(pub usize);

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension(self.0))
    }
}

struct AliasLimitExtension(usize);

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

#[async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        for (_, op) in doc.operations.iter() {
            let mut counter = AliasCounter {
                doc: &doc,
                memo: HashMap::new(),
                visiting: HashSet::new(),
            };
            let aliases = counter.count(&op.node.selection_set.node);
            if aliases > self.0 {
                return Err(with_code(
                    ServerError::new(
                        format!("too many aliases: {aliases} (the limit is {})", self.0),
                        None,
                    ),
                    "TOO_MANY_ALIASES",
                ));
            }
        }
        Ok(doc)
    }
}
