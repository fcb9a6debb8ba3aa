//! Demo exemption requests for `commons seed-demo`: one of each stage the
//! reviewers' queue shows, made through the service like real ones.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::service::{self, Cell, NewRequest};
use crate::{
    context::AppContext,
    entities::{user, workspace},
    identity::CurrentUser,
};

async fn person(ctx: &AppContext, handle: &str) -> anyhow::Result<CurrentUser> {
    let found = user::Entity::find()
        .filter(user::Column::Handle.eq(handle))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user @{handle} is missing"))?;
    Ok(CurrentUser::from_model(&found, None))
}

/// The requester's first workspace, or a small one made for the demo when
/// none exists yet.
async fn workspace_of(
    ctx: &AppContext,
    owner: &CurrentUser,
    name: &str,
    namespace: &str,
) -> anyhow::Result<i64> {
    if let Some(existing) = workspace::Entity::find()
        .filter(workspace::Column::OwnerId.eq(owner.id))
        .one(&ctx.db)
        .await?
    {
        return Ok(existing.id);
    }
    let now = ctx.clock.now();
    let created = workspace::ActiveModel {
        name: Set(name.into()),
        namespace: Set(namespace.into()),
        owner_id: Set(owner.id),
        intended_study: Set(String::new()),
        intended_study_html: Set(String::new()),
        scientific_approach: Set(String::new()),
        scientific_approach_html: Set(String::new()),
        anticipated_findings: Set(String::new()),
        anticipated_findings_html: Set(String::new()),
        disease_focused: Set(false),
        disease: Set(String::new()),
        methods_development: Set(false),
        population_health: Set(false),
        social_behavioral: Set(false),
        ancestry: Set(false),
        drug_development: Set(false),
        educational: Set(false),
        other_purpose: Set(false),
        other_purpose_text: Set(String::new()),
        tier: Set(owner.tier.as_str().into()),
        cdr_version: Set("v8".into()),
        featured_category: Set(None),
        published_at: Set(None),
        consented_at: Set(None),
        consented_by: Set(None),
        duplicate_count: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok(created.id)
}

fn cell(description: &str, min: i32, max: i32, why: &str) -> Cell {
    Cell {
        description: description.into(),
        count_min: min,
        count_max: max,
        why_not_suppressed: why.into(),
    }
}

pub async fn seed_demo(ctx: &AppContext) -> anyhow::Result<()> {
    let err = |e: crate::error::AppError| anyhow::anyhow!("seeding exemptions: {e}");
    let chen = person(ctx, "weichen").await?;
    let santos = person(ctx, "asantos").await?;
    let priya = person(ctx, "priya").await?;
    let lucia = person(ctx, "lucia").await?;
    let james = person(ctx, "jholloway").await?;
    let today = ctx.clock.now().date_naive();

    // Priya's request: one approval in, waiting for a second reviewer.
    let ws = workspace_of(
        ctx,
        &priya,
        "APOL1 genotype and kidney failure",
        "aou-rw-demo-apol1",
    )
    .await?;
    let req = service::create(
        ctx,
        &priya,
        NewRequest {
            workspace_id: ws,
            title: "County-level counts of APOL1 high-risk carriers with kidney failure".into(),
            dissemination: "Figure 3 of a manuscript: a map of **APOL1 high-risk genotype** carriers with end-stage kidney disease, by county, for three counties in the Mississippi Delta.".into(),
            cells: vec![cell(
                "Carriers with end-stage kidney disease in each of the three counties",
                6,
                17,
                "Collapsing the counties erases the geographic cluster that is the paper's finding; a ≤20 marker on every county makes the map blank.",
            )],
            justification: "The cluster informs a state screening programme; the counties each have more than 10,000 residents and the figure shows no other attributes.".into(),
            venue: "Journal of the American Society of Nephrology".into(),
            needed_by: today + Duration::days(18),
            publication_report_id: None,
        },
    )
    .await
    .map_err(err)?;
    service::submit(ctx, &priya, req.id).await.map_err(err)?;
    service::claim(ctx, &chen, req.id).await.map_err(err)?;
    service::approve(
        ctx,
        &chen,
        req.id,
        req.version,
        Some("Show counts as ranges (5–9, 10–14, 15–19), not exact values."),
    )
    .await
    .map_err(err)?;

    // Lucía's request: sent back for changes.
    let ws = workspace_of(
        ctx,
        &lucia,
        "Congenital heart disease and pregnancy",
        "aou-rw-demo-chd-pregnancy",
    )
    .await?;
    let req = service::create(
        ctx,
        &lucia,
        NewRequest {
            workspace_id: ws,
            title: "Pregnancy outcomes in rare congenital heart disease".into(),
            dissemination: "Table 1 of a conference abstract: live births, preterm births and stillbirths among participants with single-ventricle physiology.".into(),
            cells: vec![
                cell(
                    "Preterm births among participants with a Fontan circulation",
                    3,
                    8,
                    "The abstract's point is that the count is not zero; writing ≤20 loses it.",
                ),
                cell(
                    "Stillbirths, same group",
                    1,
                    4,
                    "Suppressing it leaves the total recoverable from the other rows.",
                ),
            ],
            justification: "No published cohort of this size exists; clinicians counsel patients with case reports.".into(),
            venue: "American Heart Association Scientific Sessions".into(),
            needed_by: today + Duration::days(40),
            publication_report_id: None,
        },
    )
    .await
    .map_err(err)?;
    service::submit(ctx, &lucia, req.id).await.map_err(err)?;
    service::claim(ctx, &santos, req.id).await.map_err(err)?;
    service::request_changes(
        ctx,
        &santos,
        req.id,
        req.version,
        "Could the stillbirth row be merged into a combined *adverse outcome* row? Please explain why not, or make that change.",
    )
    .await
    .map_err(err)?;

    // James's request: submitted, waiting in the queue.
    let ws = workspace_of(
        ctx,
        &james,
        "Housing insecurity and care access",
        "aou-rw-demo-housing",
    )
    .await?;
    let req = service::create(
        ctx,
        &james,
        NewRequest {
            workspace_id: ws,
            title: "Housing-insecurity survey responses by three-digit ZIP".into(),
            dissemination: "A supplementary table of a preprint: survey answers on housing insecurity for 14 three-digit ZIP areas.".into(),
            cells: vec![cell(
                "Respondents reporting eviction in the last year, in four ZIP3 areas",
                2,
                15,
                "The areas are those served by a partner clinic; merging them with neighbours defeats the local planning purpose.",
            )],
            justification: "The partner clinic plans outreach with these figures; the preprint shows no demographic breakdown.".into(),
            venue: "medRxiv preprint".into(),
            needed_by: today + Duration::days(25),
            publication_report_id: None,
        },
    )
    .await
    .map_err(err)?;
    service::submit(ctx, &james, req.id).await.map_err(err)?;

    println!("Seeded 3 exemption requests (in review, changes requested, submitted).");
    Ok(())
}
