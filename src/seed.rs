//! `commons seed-demo`: a small, believable community for a first look.

use std::collections::HashMap;

use crate::{
    auth::service as auth,
    context::AppContext,
    entities::user,
    forum::{
        categories::{self, CategoryInput},
        posts::{self, NewReply},
        threads::{self, NewThread},
    },
    identity::{CurrentUser, Role, Roles, Tier},
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
    let mut users: HashMap<&str, CurrentUser> = HashMap::new();
    for demo in DEMO_USERS {
        let created = auth::create_account(
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
        users.insert(demo.handle, CurrentUser::from_model(&created, None));
    }
    seed_publications(ctx).await?;
    crate::exemptions::seed::seed_demo(ctx).await?;
    seed_forum(ctx, &users)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the forum: {e:?}"))?;
    crate::moderation::seed::seed_demo(ctx, &users).await?;
    println!(
        "Seeded {} demo accounts. Sign in with any of them and the password {DEMO_PASSWORD:?}:",
        DEMO_USERS.len()
    );
    for demo in DEMO_USERS {
        let roles: Vec<&str> = demo.roles.iter().map(|r| r.as_str()).collect();
        println!("  {:<40} {}", demo.email, roles.join(", "));
    }
    crate::matching::seed::seed_demo(ctx).await?;
    Ok(())
}

/// The forum's categories: (name, description, staff only).
pub const DEMO_CATEGORIES: &[(&str, &str, bool)] = &[
    (
        "Getting Started",
        "New to the Researcher Workbench? Registration, training, tiers and your first workspace.",
        false,
    ),
    (
        "Data & Methods",
        "Study design, phenotyping, SQL over the OMOP tables, surveys and statistics.",
        false,
    ),
    (
        "Genomics",
        "Short- and long-read WGS, arrays, Hail and PLINK. Controlled-tier data only in controlled-tier workspaces.",
        false,
    ),
    (
        "Tools & Workbench",
        "Cohort Builder, Concept Set Selector, Dataset Builder, Jupyter, RStudio and SAS.",
        false,
    ),
    (
        "Billing",
        "Initial credits, billing accounts, storage and egress costs.",
        false,
    ),
    (
        "Collaborators Wanted",
        "Find co-investigators, analysts and mentors. Say what you bring and what you need.",
        false,
    ),
    (
        "Publications & Presentations",
        "Reporting manuscripts, abstracts and talks, and the dissemination policy.",
        false,
    ),
    (
        "Announcements",
        "News from the Data & Research Center. Only staff post here.",
        true,
    ),
];

const DEMO_TAGS: &[(&str, &str)] = &[
    ("onboarding", "Registration, training and access"),
    ("cohort-builder", "The Cohort Builder"),
    ("concept-sets", "The Concept Set Selector"),
    ("dataset-builder", "The Dataset Builder"),
    ("jupyter", "Jupyter notebooks"),
    ("rstudio", "RStudio"),
    ("sas", "SAS"),
    ("omop-sql", "SQL over the OMOP tables"),
    ("bigquery", "BigQuery"),
    ("surveys", "Survey data"),
    ("hail", "Hail"),
    ("plink", "PLINK"),
    ("srwgs", "Short-read whole-genome sequencing"),
    ("billing", "Credits and billing accounts"),
    ("storage", "Workspace buckets and persistent disks"),
    ("collaboration", "Looking for collaborators"),
    ("publications", "Publication and presentation reports"),
    (
        "dissemination",
        "The Data and Statistics Dissemination Policy",
    ),
    ("office-hours", "Office hours and orientation"),
];

struct DemoReply {
    author: &'static str,
    body: &'static str,
    /// Reply to this earlier post (0: the opening post) quoting this text.
    quote: Option<(usize, &'static str)>,
    accepted: bool,
}

struct DemoThread {
    author: &'static str,
    category: &'static str,
    title: &'static str,
    body: &'static str,
    tags: &'static [&'static str],
    replies: &'static [DemoReply],
    pinned: bool,
}

const fn r(author: &'static str, body: &'static str) -> DemoReply {
    DemoReply {
        author,
        body,
        quote: None,
        accepted: false,
    }
}

const DEMO_THREADS: &[DemoThread] = &[
    DemoThread {
        author: "maria",
        category: "Getting Started",
        title: "Welcome to Research Commons: start here",
        body: "Welcome! This forum is for registered researchers on the Workbench.\n\n\
- Search before you post; many questions have answers already.\n\
- Pick the category that fits and add up to five tags.\n\
- **Never post participant-level data or counts from 1 to 20.** Write \"≤20\" instead.\n\n\
The DRC also runs a monthly new-user orientation and weekly drop-in office hours.",
        tags: &["onboarding"],
        replies: &[r(
            "samo",
            "Thanks! The orientation last week was very helpful.",
        )],
        pinned: true,
    },
    DemoThread {
        author: "priya",
        category: "Tools & Workbench",
        title: "Cohort Builder: excluding participants with a prior diagnosis",
        body: "I'm building a cohort of adults with new-onset type 2 diabetes. How do I exclude anyone with a T2D condition *before* a given date in the Cohort Builder?",
        tags: &["cohort-builder", "concept-sets"],
        replies: &[
            DemoReply {
                author: "lucia",
                body: "Add the condition in **Exclude participants**, then open the modifiers and set *Age at event* or *Event date* to before your index date. @priya the Concept Set Selector lets you save the T2D codes so you can reuse them in the Dataset Builder.",
                quote: Some((0, "exclude anyone with a T2D condition before a given date")),
                accepted: true,
            },
            r(
                "jholloway",
                "Same approach worked for me for hypertension. Watch out for the *Temporal* option: it matches within the same encounter by default.",
            ),
        ],
        pinned: false,
    },
    DemoThread {
        author: "lucia",
        category: "Genomics",
        title: "Hail runs out of memory on the srWGS callset",
        body: "My notebook dies when I run `hl.variant_qc` on the full short-read WGS VariantDataset. Which cluster configuration do people use?\n\n```python\nvds = hl.vds.read_vds(os.environ['WGS_VDS_PATH'])\nmt = hl.vds.to_dense_mt(vds)  # this is where it dies\n```",
        tags: &["hail", "srwgs"],
        replies: &[
            r(
                "priya",
                "Don't densify the whole callset. Filter to your samples and intervals first, then densify; and use preemptible workers for the heavy steps.",
            ),
            r(
                "samo",
                "For plain GWAS I export to PLINK after filtering: `hl.export_plink` and then run `plink2 --glm` on a regular VM. Much cheaper.",
            ),
        ],
        pinned: false,
    },
    DemoThread {
        author: "jholloway",
        category: "Data & Methods",
        title: "SQL over the OMOP tables: joining condition_occurrence to concept",
        body: "What's the idiomatic way to get condition names for my cohort? My join returns duplicate rows.",
        tags: &["omop-sql", "bigquery"],
        replies: &[DemoReply {
            author: "priya",
            body: "Join on `condition_concept_id` and keep only standard concepts:\n\n```sql\nSELECT co.person_id, c.concept_name, co.condition_start_date\nFROM `${CDR}.condition_occurrence` co\nJOIN `${CDR}.concept` c ON c.concept_id = co.condition_concept_id\nWHERE c.standard_concept = 'S'\n```\n\nDuplicates usually come from joining `concept_relationship` as well.",
            quote: Some((0, "My join returns duplicate rows")),
            accepted: true,
        }],
        pinned: false,
    },
    DemoThread {
        author: "samo",
        category: "Billing",
        title: "How far do the initial credits go?",
        body: "I'm planning a survey analysis in RStudio. Roughly how long will the initial credits last, and what happens when they run out?",
        tags: &["billing", "storage"],
        replies: &[r(
            "maria",
            "It depends mostly on compute: a small standard VM for survey work costs little per hour, but remember to **pause** your environment. Persistent disks and bucket storage keep costing while idle. When the credits run out you can attach your own billing account.",
        )],
        pinned: false,
    },
    DemoThread {
        author: "lucia",
        category: "Collaborators Wanted",
        title: "Seeking a biostatistician: hypertension disparities using EHR and surveys",
        body: "We have a registered-tier workspace on blood-pressure control across social determinants of health. Looking for a biostatistician comfortable with mixed models. Contact details are in the workspace description.",
        tags: &["collaboration", "surveys"],
        replies: &[r(
            "samo",
            "Interested: I've done multilevel models on the SDOH survey. @lucia I'll message you.",
        )],
        pinned: false,
    },
    DemoThread {
        author: "priya",
        category: "Publications & Presentations",
        title: "Reminder: report your abstract two weeks before the conference",
        body: "The Data User Code of Conduct asks us to report every publication or presentation at least **two weeks** before it appears, abstracts and posters included. Embargoes are honoured.",
        tags: &["publications", "dissemination"],
        replies: &[r(
            "jholloway",
            "And check every table: no participant counts from 1 to 20. Collapse categories or write ≤20.",
        )],
        pinned: false,
    },
    DemoThread {
        author: "maria",
        category: "Announcements",
        title: "Office hours move to Thursdays",
        body: "From next month, weekly drop-in office hours are on Thursdays at 1 pm ET. Bring your Workbench questions.",
        tags: &["office-hours"],
        replies: &[],
        pinned: false,
    },
    DemoThread {
        author: "samo",
        category: "Tools & Workbench",
        title: "RStudio or Jupyter for survey data?",
        body: "Both seem to work. Is there a reason to prefer one for the survey tables?",
        tags: &["rstudio", "jupyter", "surveys"],
        replies: &[r(
            "jholloway",
            "Whichever you know. The Dataset Builder generates code for both (and for SAS).",
        )],
        pinned: false,
    },
];

/// Categories, tags and a believable handful of threads and replies.
async fn seed_forum(
    ctx: &AppContext,
    users: &HashMap<&str, CurrentUser>,
) -> crate::error::AppResult<()> {
    let who = |handle: &str| {
        users.get(handle).ok_or_else(|| {
            crate::error::AppError::internal(anyhow::anyhow!("no demo user {handle}"))
        })
    };
    let admin = who("avery")?;
    let moderator = who("maria")?;
    let mut category_ids = HashMap::new();
    for (name, description, staff_only) in DEMO_CATEGORIES {
        let created = categories::create_category(
            ctx,
            admin,
            CategoryInput {
                name: Some(name.to_string()),
                slug: None,
                description: Some(description.to_string()),
                required_roles: staff_only.then(|| Roles::new([Role::Moderator, Role::Admin])),
            },
        )
        .await?;
        category_ids.insert(*name, created.id);
    }
    for (name, description) in DEMO_TAGS {
        categories::create_tag(ctx, moderator, name, Some(description)).await?;
    }
    for demo in DEMO_THREADS {
        let author = who(demo.author)?;
        let category_id = *category_ids.get(demo.category).ok_or_else(|| {
            crate::error::AppError::internal(anyhow::anyhow!("no category {}", demo.category))
        })?;
        let (thread, first) = threads::create_thread(
            ctx,
            author,
            NewThread {
                category_id,
                title: demo.title.into(),
                body: demo.body.into(),
                tags: demo.tags.iter().map(|t| t.to_string()).collect(),
            },
        )
        .await?;
        // New members' first posts are held: the moderator approves them,
        // as they would on a live forum.
        crate::moderation::seed::publish_if_held(ctx, moderator, first.id).await?;
        let mut post_ids = vec![first.id];
        for reply in demo.replies {
            let (_, post) = posts::create_reply(
                ctx,
                who(reply.author)?,
                NewReply {
                    thread_id: thread.id,
                    body: reply.body.into(),
                    reply_to_post_id: reply.quote.and_then(|(n, _)| post_ids.get(n).copied()),
                    quote: reply.quote.map(|(_, q)| q.to_string()),
                },
            )
            .await?;
            crate::moderation::seed::publish_if_held(ctx, moderator, post.id).await?;
            post_ids.push(post.id);
            if reply.accepted {
                threads::accept_answer(ctx, author, post.id).await?;
            }
        }
        if demo.pinned {
            threads::set_pinned(&ctx.db, ctx, moderator, thread.id, true).await?;
        }
    }
    Ok(())
}

/// A handful of publication reports in different states: a published
/// article, a late poster, an embargoed talk and a shared draft.
async fn seed_publications(ctx: &AppContext) -> anyhow::Result<()> {
    use chrono::Duration;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter};

    use crate::{
        identity::CurrentUser,
        publications::{
            types::{OutputType, PublicationStatus},
            workflow::{self as publications, CoAuthorInput, ReportChanges, WorkspaceInput},
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
