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
    crate::exemptions::seed::seed_demo(ctx).await?;
    println!(
        "Seeded {} demo accounts. Sign in with any of them and the password {DEMO_PASSWORD:?}:",
        DEMO_USERS.len()
    );
    for demo in DEMO_USERS {
        let roles: Vec<&str> = demo.roles.iter().map(|r| r.as_str()).collect();
        println!("  {:<40} {}", demo.email, roles.join(", "));
    }
    Ok(())
}
