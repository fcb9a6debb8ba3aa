//! Start-up refuses bad configuration with a clear, located message.

use commons::{App, config::Config};

#[tokio::test]
async fn malformed_rule_file_stops_start_up_with_file_line_and_problem() {
    let data = tempfile::tempdir().expect("data dir");
    let rules = tempfile::tempdir().expect("rules dir");
    std::fs::write(
        rules.path().join("limits.toml"),
        "[new_users]\nnew_user_post_threshold = 3\nhold_first_posts = \"many\"\n",
    )
    .expect("write rule file");
    let data_dir = data.path().display().to_string();
    let rules_dir = rules.path().display().to_string();
    let config = Config::from_lookup(&|k| match k {
        "COMMONS_DATA_DIR" => Some(data_dir.clone()),
        "COMMONS_MODERATION_DIR" => Some(rules_dir.clone()),
        "COMMONS_MAILER" => Some("memory".into()),
        _ => None,
    })
    .expect("config");
    let err = match App::build(config).await {
        Ok(_) => panic!("a malformed rule file must stop start-up"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("limits.toml:3:"), "names file and line: {err}");
    assert!(err.contains("invalid type"), "names the problem: {err}");
}
