//! The checked-in SDL matches the code.

#[test]
fn exported_schema_is_current() {
    let sdl = commons::graphql::build_schema(None).sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/graphql/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == sdl,
        "graphql/schema.graphql is out of date: run `cargo run -- export-schema` and commit it"
    );
}
