//! Demo data for `commons seed-demo`: community workspaces, researcher
//! profiles and a pending collaboration request among the demo accounts.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    profiles::{self, ProfileChange},
    requests,
    vocabulary::CareerStage,
};
use crate::{
    context::AppContext,
    entities::user,
    identity::{CurrentUser, Tier},
    workspaces::{
        service::{self, Consent, NewListing, Purpose},
        types::{DataType, FeaturedCategory, PurposeFlag},
    },
};

async fn demo_user(ctx: &AppContext, handle: &str) -> anyhow::Result<CurrentUser> {
    let found = user::Entity::find()
        .filter(user::Column::Handle.eq(handle))
        .one(&ctx.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {handle} is missing"))?;
    Ok(CurrentUser::from_model(&found, None))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

struct DemoListing {
    owner: &'static str,
    name: &'static str,
    namespace: &'static str,
    tier: Tier,
    cdr: &'static str,
    study: &'static str,
    approach: &'static str,
    findings: &'static str,
    flags: &'static [PurposeFlag],
    disease: Option<&'static str>,
    data_types: &'static [DataType],
    tags: &'static [&'static str],
    collaborators: &'static [&'static str],
    publish: bool,
    duplicates: i32,
    featured: Option<FeaturedCategory>,
}

const LISTINGS: &[DemoListing] = &[
    DemoListing {
        owner: "priya",
        name: "Sleep duration and blood pressure",
        namespace: "aou-rw-5c1d2e3f",
        tier: Tier::Registered,
        cdr: "v7",
        study: "How does **sleep duration**, measured by Fitbit, relate to incident hypertension \
                in participants without hypertension at enrolment?\n\nQuestions and ideas: \
                message @priya on Research Commons.",
        approach: "Cohort of participants with at least 180 days of Fitbit sleep data; Cox \
                   models for time to first hypertension diagnosis, adjusted for age, sex, BMI \
                   and physical activity.",
        findings: "Short sleep (< 6 h) is associated with a higher hazard of hypertension.",
        flags: &[PurposeFlag::DiseaseFocused, PurposeFlag::PopulationHealth],
        disease: Some("hypertension"),
        data_types: &[
            DataType::Ehr,
            DataType::Wearables,
            DataType::PhysicalMeasurements,
        ],
        tags: &["sleep", "fitbit", "hypertension"],
        collaborators: &["samo"],
        publish: true,
        duplicates: 12,
        featured: Some(FeaturedCategory::Community),
    },
    DemoListing {
        owner: "lucia",
        name: "Long-read structural variants in cardiomyopathy",
        namespace: "aou-rw-9a8b7c6d",
        tier: Tier::Controlled,
        cdr: "v8",
        study: "Catalogue structural variants from long-read genomes in participants with \
                dilated cardiomyopathy. Contact: lucia (Columbia) via Research Commons.",
        approach: "Hail over the long-read callset; burden tests against matched controls.",
        findings: "Rare deletions in known cardiomyopathy genes missed by short reads.",
        flags: &[PurposeFlag::DiseaseFocused, PurposeFlag::MethodsDevelopment],
        disease: Some("cardiomyopathy"),
        data_types: &[DataType::GenomicsLongRead, DataType::Ehr],
        tags: &["structural-variants", "long-read", "hail"],
        collaborators: &["priya"],
        publish: true,
        duplicates: 3,
        featured: None,
    },
    DemoListing {
        owner: "avery",
        name: "Phenotype library: type 2 diabetes",
        namespace: "aou-rw-phenolib-t2d",
        tier: Tier::Registered,
        cdr: "v7",
        study: "A reusable, validated concept set and cohort definition for type 2 diabetes. \
                Questions go to the DRC help desk.",
        approach: "Condition, medication and lab criteria over the OMOP tables.",
        findings: "A phenotype other workspaces can duplicate and build on.",
        flags: &[PurposeFlag::Educational, PurposeFlag::MethodsDevelopment],
        disease: None,
        data_types: &[DataType::Ehr],
        tags: &["phenotype", "diabetes", "omop"],
        collaborators: &[],
        publish: true,
        duplicates: 140,
        featured: Some(FeaturedCategory::PhenotypeLibrary),
    },
    DemoListing {
        owner: "maria",
        name: "Tutorial: from Cohort Builder to Dataset Builder in R",
        namespace: "aou-rw-tutorial-cohort-r",
        tier: Tier::Registered,
        cdr: "v7",
        study: "A step-by-step notebook: build a cohort, select concept sets, export a \
                dataset and analyse it in R. Ask questions in the forum's *Getting started* \
                category.",
        approach: "Jupyter notebook with the R kernel.",
        findings: "Your first dataset, end to end.",
        flags: &[PurposeFlag::Educational],
        disease: None,
        data_types: &[DataType::Ehr, DataType::Survey],
        tags: &["tutorial", "r", "cohort-builder"],
        collaborators: &[],
        publish: true,
        duplicates: 320,
        featured: Some(FeaturedCategory::Tutorial),
    },
    DemoListing {
        owner: "jholloway",
        name: "Neighborhood deprivation and depression",
        namespace: "aou-rw-3f4e5d6c",
        tier: Tier::Registered,
        cdr: "v7",
        study: "Does area deprivation relate to depression diagnoses and PHQ-9 answers?",
        approach: "Multilevel models over survey and EHR data.",
        findings: "",
        flags: &[PurposeFlag::SocialBehavioral],
        disease: None,
        data_types: &[DataType::Survey, DataType::Ehr],
        tags: &["sdoh", "depression"],
        collaborators: &[],
        publish: false,
        duplicates: 0,
        featured: None,
    },
];

struct DemoProfile {
    handle: &'static str,
    expertise: &'static [&'static str],
    methods: &'static [&'static str],
    seeking: &'static [&'static str],
    interests: &'static str,
    looking_for: &'static str,
    open: bool,
    stage: CareerStage,
    orcid: Option<&'static str>,
}

const PROFILES: &[DemoProfile] = &[
    DemoProfile {
        handle: "priya",
        expertise: &["hypertension", "sleep", "digital health"],
        methods: &["R", "survival analysis", "SQL"],
        seeking: &["GWAS", "wearables data analysis"],
        interests: "Sleep, physical activity and blood pressure measured by wearables.",
        looking_for: "A statistical geneticist to add polygenic risk to our sleep cohort.",
        open: true,
        stage: CareerStage::Postdoc,
        orcid: Some("0000-0002-1825-0097"),
    },
    DemoProfile {
        handle: "lucia",
        expertise: &["population genetics", "cardiovascular disease"],
        methods: &["Hail", "PLINK", "GWAS", "Python"],
        seeking: &["EHR phenotyping"],
        interests: "Structural variants and rare disease in diverse genomes.",
        looking_for: "Clinicians who can help define cardiomyopathy phenotypes from EHR.",
        open: true,
        stage: CareerStage::MidCareer,
        orcid: None,
    },
    DemoProfile {
        handle: "jholloway",
        expertise: &["mental health", "social determinants of health"],
        methods: &["Stata", "survey methodology", "mixed models"],
        seeking: &["NLP", "geospatial analysis"],
        interests: "Neighborhood deprivation, depression and access to care.",
        looking_for: "Someone with geospatial skills to link area deprivation indices.",
        open: true,
        stage: CareerStage::EarlyCareer,
        orcid: None,
    },
    DemoProfile {
        handle: "samo",
        expertise: &["health disparities", "hypertension"],
        methods: &["R", "geospatial analysis"],
        seeking: &["survival analysis"],
        interests: "Blood pressure control and neighborhood food environments.",
        looking_for: "Mentorship on time-to-event methods.",
        open: true,
        stage: CareerStage::Student,
        orcid: None,
    },
    DemoProfile {
        handle: "maria",
        expertise: &["epidemiology"],
        methods: &["R", "SQL", "OMOP CDM"],
        seeking: &[],
        interests: "Helping new researchers get started on the Workbench.",
        looking_for: "",
        open: false,
        stage: CareerStage::ResearchStaff,
        orcid: None,
    },
];

/// Adds the demo listings, profiles and a collaboration request.
pub async fn seed_demo(ctx: &AppContext) -> anyhow::Result<()> {
    let admin = demo_user(ctx, "avery").await?;
    for demo in LISTINGS {
        let owner = demo_user(ctx, demo.owner).await?;
        let created = service::create(
            ctx,
            &owner,
            NewListing {
                name: demo.name.into(),
                namespace: demo.namespace.into(),
                tier: demo.tier,
                cdr_version: demo.cdr.into(),
                purpose: Purpose {
                    intended_study: demo.study.into(),
                    scientific_approach: demo.approach.into(),
                    anticipated_findings: demo.findings.into(),
                    flags: demo.flags.to_vec(),
                    disease: demo.disease.map(String::from),
                    other_purpose: None,
                },
                data_types: demo.data_types.to_vec(),
                tags: strings(demo.tags),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("listing {}: {e}", demo.name))?;
        for handle in demo.collaborators {
            let person = demo_user(ctx, handle).await?;
            service::add_collaborator(ctx, &owner, created.id, person.id)
                .await
                .map_err(|e| anyhow::anyhow!("collaborator {handle}: {e}"))?;
        }
        if demo.publish {
            let all = Consent {
                no_harmful_language: true,
                contact_info_in_description: true,
                collaborators_agreed: true,
            };
            service::publish(ctx, &owner, created.id, all)
                .await
                .map_err(|e| anyhow::anyhow!("publishing {}: {e}", demo.name))?;
            service::report_duplicates(ctx, &owner, created.id, demo.duplicates)
                .await
                .map_err(|e| anyhow::anyhow!("duplicates {}: {e}", demo.name))?;
        }
        if let Some(category) = demo.featured {
            service::feature(ctx, &admin, created.id, Some(category))
                .await
                .map_err(|e| anyhow::anyhow!("featuring {}: {e}", demo.name))?;
        }
    }
    for demo in PROFILES {
        let person = demo_user(ctx, demo.handle).await?;
        profiles::update_mine(
            ctx,
            &person,
            ProfileChange {
                expertise: Some(strings(demo.expertise)),
                methods: Some(strings(demo.methods)),
                seeking: Some(strings(demo.seeking)),
                research_interests: Some(demo.interests.into()),
                looking_for: Some(demo.looking_for.into()),
                open_to_collaborate: Some(demo.open),
                orcid: Some(demo.orcid.map(String::from)),
                career_stage: Some(Some(demo.stage)),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("profile {}: {e}", demo.handle))?;
    }
    let james = demo_user(ctx, "jholloway").await?;
    let sam = demo_user(ctx, "samo").await?;
    requests::send(
        ctx,
        &james,
        sam.id,
        "Hi Sam, I saw you work with geospatial data. I am linking area deprivation \
         indices to depression outcomes and would love your help. Could we talk next week?",
        false,
    )
    .await
    .map_err(|e| anyhow::anyhow!("collaboration request: {e}"))?;
    println!(
        "Seeded {} workspace listings, {} researcher profiles and a collaboration request.",
        LISTINGS.len(),
        PROFILES.len()
    );
    Ok(())
}
