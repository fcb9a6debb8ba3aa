//! Composers preview markdown through the server's own renderer.

use serde_json::json;

use crate::helpers::*;

const PREVIEW: &str = "query($s: String!) { previewMarkdown(source: $s) }";

#[tokio::test]
async fn a_member_previews_markdown_as_it_will_be_stored() {
    on_each_backend(|app| async move {
        let priya = app.researcher("priya").await;
        app.researcher("lucia").await;
        let data = priya
            .ok(
                PREVIEW,
                json!({ "s": "**Bold** and @lucia, not @nobody.\n\n<script>alert(1)</script>" }),
            )
            .await;
        let html = data["previewMarkdown"].as_str().expect("html");
        assert!(html.contains("<strong>Bold</strong>"), "{html}");
        assert!(html.contains("href=\"/u/lucia\""), "{html}");
        assert!(!html.contains("/u/nobody"), "{html}");
        assert!(
            !html.contains("<script"),
            "raw HTML is shown as text: {html}"
        );
    })
    .await;
}

#[tokio::test]
async fn anonymous_callers_and_oversized_texts_are_refused() {
    on_each_backend(|app| async move {
        let resp = app.gql(PREVIEW, json!({ "s": "hello" })).await;
        assert_code(&resp, "UNAUTHENTICATED");

        let priya = app.researcher("priya").await;
        let resp = priya.gql(PREVIEW, json!({ "s": "x".repeat(32_001) })).await;
        assert_code(&resp, "VALIDATION");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "source");
    })
    .await;
}
