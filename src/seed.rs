//! `commons seed-demo`: a small, believable community for a first look.

use crate::{
    auth::{Role, Roles, Tier, service as auth},
    context::AppContext,
    entities::user,
};
use sea_orm::{EntityTrait, PaginatorTrait};

/// The password of every demo account; printed by the command.
pub const DEMO_PASSWORD: &str = "commons-demo-password";

pub struct DemoUser {
    pub email: &'static str,
    pub name: &'static str,
    pub handle: &'static str,
    pub institution: &'static str,
    pub roles: &'static [Role],
    pub tier: Tier,
}

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        email: "admin@researchallofus.org",
        name: "Avery Admin",
        handle: "avery",
        institution: "Data & Research Center",
        roles: &[Role::Admin, Role::Researcher],
        tier: Tier::Controlled,
    },
    DemoUser {
        email: "maria.moderator@researchallofus.org",
        name: "Maria Okafor",
        handle: "maria",
        institution: "Data & Research Center",
        roles: &[Role::Moderator, Role::Researcher],
        tier: Tier::Controlled,
    },
    DemoUser {
        email: "rev.chen@researchallofus.org",
        name: "Dr. Wei Chen",
        handle: "weichen",
        institution: "Resource Access Board",
        roles: &[Role::Reviewer],
        tier: Tier::Controlled,
    },
    DemoUser {
        email: "rev.santos@researchallofus.org",
        name: "Dr. Ana Santos",
        handle: "asantos",
        institution: "Resource Access Board",
        roles: &[Role::Reviewer],
        tier: Tier::Controlled,
    },
    DemoUser {
        email: "priya.raman@researchallofus.org",
        name: "Priya Raman",
        handle: "priya",
        institution: "Vanderbilt University Medical Center",
        roles: &[Role::Researcher],
        tier: Tier::Controlled,
    },
    DemoUser {
        email: "james.holloway@researchallofus.org",
        name: "James Holloway",
        handle: "jholloway",
        institution: "University of Michigan",
        roles: &[Role::Researcher],
        tier: Tier::Registered,
    },
    DemoUser {
        email: "lucia.fernandez@researchallofus.org",
        name: "Lucía Fernández",
        handle: "lucia",
        institution: "Columbia University",
        roles: &[Role::Researcher],
        tier: Tier::Controlled,
    },
    DemoUser {
        email: "sam.oyelaran@researchallofus.org",
        name: "Sam Oyelaran",
        handle: "samo",
        institution: "Morehouse School of Medicine",
        roles: &[Role::Researcher],
        tier: Tier::Registered,
    },
];

pub async fn seed_demo(ctx: &AppContext) -> anyhow::Result<()> {
    let existing = user::Entity::find().count(&ctx.db).await?;
    anyhow::ensure!(
        existing == 0,
        "the database already has {existing} users; seed-demo fills a fresh database only"
    );
    for demo in DEMO_USERS {
        auth::create_account(
            ctx,
            auth::NewAccount {
                sign_up: auth::SignUp {
                    email: demo.email.into(),
                    password: DEMO_PASSWORD.into(),
                    display_name: demo.name.into(),
                    institution: Some(demo.institution.into()),
                    handle: Some(demo.handle.into()),
                },
                roles: Roles::new(demo.roles.iter().copied()),
                tier: demo.tier,
                verified: true,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", demo.email))?;
    }
    seed_publications(ctx).await?;
    crate::exemptions::seed::seed_demo(ctx).await?;
    println!(
        "Seeded {} demo accounts. Sign in with any of them and the password {DEMO_PASSWORD:?}:",
        DEMO_USERS.len()
    );
    for demo in DEMO_USERS {
        let roles: Vec<&str> = demo.roles.iter().map(|r| r.as_str()).collect();
        println!("  {:<40} {}", demo.email, roles.join(", "));
    }
    crate::workspaces::seed::seed_demo(ctx).await?;
    Ok(())
}

/// A handful of publication reports in different states: a published
/// article, a late poster, an embargoed talk and a shared draft.
async fn seed_publications(ctx: &AppContext) -> anyhow::Result<()> {
    use chrono::Duration;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter};

    use crate::{
        auth::CurrentUser,
        publications::{
            service::{self as publications, CoAuthorInput, ReportChanges, WorkspaceInput},
            types::{OutputType, PublicationStatus},
        },
    };

    let find = |handle: &'static str| async move {
        user::Entity::find()
            .filter(user::Column::Handle.eq(handle))
            .one(&ctx.db)
            .await?
            .map(|u| CurrentUser::from_model(&u, None))
            .ok_or_else(|| anyhow::anyhow!("demo user {handle} is missing"))
    };
    let err = |e: crate::error::AppError| anyhow::anyhow!("seeding publications: {e}");
    let priya = find("priya").await?;
    let james = find("jholloway").await?;
    let lucia = find("lucia").await?;
    let sam = find("samo").await?;
    let today = ctx.clock.now().date_naive();
    let attested = |tier: Tier, version: &str, statement: &str| ReportChanges {
        tier: Some(Some(tier)),
        cdr_version: Some(version.into()),
        acknowledgement_included: Some(true),
        data_availability_included: Some(true),
        complies_with_policy: Some(true),
        data_availability_statement: Some(statement.into()),
        ..Default::default()
    };

    // Published, with a DOI; filed well ahead of time.
    let article = publications::create(
        ctx,
        &priya,
        ReportChanges {
            output_type: Some(OutputType::JournalArticle),
            title: Some("Polygenic risk and hypertension across ancestries in All of Us".into()),
            summary: Some(
                "We evaluate a polygenic risk score for hypertension in **genetically diverse** \
                 participants and report calibration by genetic ancestry group."
                    .into(),
            ),
            venue: Some("Journal of the American Medical Informatics Association".into()),
            submission_date: Some(Some(today - Duration::days(150))),
            publication_date: Some(Some(today - Duration::days(10))),
            workspaces: Some(vec![WorkspaceInput {
                namespace: Some("aou-rw-7f3c2a91".into()),
                ..Default::default()
            }]),
            co_authors: Some(vec![
                CoAuthorInput {
                    user_id: Some(lucia.id),
                    ..Default::default()
                },
                CoAuthorInput {
                    name: Some("Dr. Kwame Mensah".into()),
                    affiliation: Some("Vanderbilt University Medical Center".into()),
                    ..Default::default()
                },
            ]),
            status: Some(PublicationStatus::Accepted),
            doi: Some(Some("10.1093/jamia/ocae101".into())),
            ..attested(
                Tier::Controlled,
                "v7",
                "Data are available to authorized users in the All of Us Controlled Tier, CDR v7.",
            )
        },
    )
    .await
    .map_err(err)?;
    let filed = publications::submit(ctx, &priya, article.id)
        .await
        .map_err(err)?;
    publications::set_status(ctx, &priya, article.id, PublicationStatus::Published)
        .await
        .map_err(err)?;
    // It was filed months ago, in good time.
    let mut backdated = filed.report.into_active_model();
    backdated.filed_at = Set(Some(ctx.clock.now() - Duration::days(120)));
    backdated.days_notice = Set(Some(110));
    backdated.late = Set(false);
    backdated.update(&ctx.db).await?;

    // A poster filed nine days ahead: accepted, and flagged late.
    let poster = publications::create(
        ctx,
        &james,
        ReportChanges {
            output_type: Some(OutputType::Poster),
            title: Some("Sleep duration from Fitbit data and depressive symptoms".into()),
            summary: Some(
                "Longer and more regular sleep was associated with fewer depressive symptoms."
                    .into(),
            ),
            venue: Some("SLEEP 2026".into()),
            submission_date: Some(Some(today - Duration::days(60))),
            presentation_date: Some(Some(today + Duration::days(9))),
            workspaces: Some(vec![WorkspaceInput {
                namespace: Some("aou-rw-2b9e41d0".into()),
                ..Default::default()
            }]),
            status: Some(PublicationStatus::Accepted),
            ..attested(
                Tier::Registered,
                "v7",
                "Data are available in the All of Us Registered Tier, CDR v7.",
            )
        },
    )
    .await
    .map_err(err)?;
    publications::submit(ctx, &james, poster.id)
        .await
        .map_err(err)?;

    // A talk under embargo: staff see it, the community list does not yet.
    let talk = publications::create(
        ctx,
        &sam,
        ReportChanges {
            output_type: Some(OutputType::OralPresentation),
            title: Some("Neighborhood deprivation and asthma care in the Southeast".into()),
            summary: Some("Area deprivation index and asthma exacerbations, 2016 to 2022.".into()),
            venue: Some("American Public Health Association Annual Meeting".into()),
            presentation_date: Some(Some(today + Duration::days(45))),
            embargo_until: Some(Some(ctx.clock.now() + Duration::days(45))),
            workspaces: Some(vec![WorkspaceInput {
                namespace: Some("aou-rw-c41d88e7".into()),
                ..Default::default()
            }]),
            ..attested(
                Tier::Registered,
                "v7",
                "Data are available in the All of Us Registered Tier, CDR v7.",
            )
        },
    )
    .await
    .map_err(err)?;
    publications::submit(ctx, &sam, talk.id)
        .await
        .map_err(err)?;

    // A draft preprint shared with a co-author.
    publications::create(
        ctx,
        &lucia,
        ReportChanges {
            output_type: Some(OutputType::Preprint),
            title: Some("Survey non-response patterns by language of administration".into()),
            venue: Some("medRxiv".into()),
            co_authors: Some(vec![CoAuthorInput {
                user_id: Some(priya.id),
                ..Default::default()
            }]),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    Ok(())
}
