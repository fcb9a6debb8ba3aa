// Forum set-up: admins manage categories (create, edit, order), moderators
// manage the tag set (add, retire).

import { gql } from '../api.js';
import { reload, setTitle } from '../router.js';
import { session } from '../session.js';
import { badge, checkboxGroup, empty, enumLabel, field, flash, h, onSubmit, orNull, pageHeader, put } from '../ui.js';

const ROLES = ['RESEARCHER', 'MODERATOR', 'REVIEWER', 'ADMIN'];
const CATEGORY_FIELDS = 'id name slug description position requiredRoles';

function categoryForm(c, onSaved) {
  const form = h(
    'form',
    { class: 'form' },
    field({ label: 'Name', name: 'name', value: c?.name || '', required: true }),
    field({ label: 'Slug', name: 'slug', value: c?.slug || '', hint: c ? 'Part of the category’s address.' : 'Optional: derived from the name.' }),
    field({ label: 'Description', name: 'description', type: 'textarea', rows: 2, value: c?.description || '' }),
    checkboxGroup({
      legend: 'Who may start threads',
      name: 'requiredRoles',
      hint: 'None ticked: every verified member.',
      options: ROLES.map((r) => ({ value: r, label: enumLabel(r) })),
      values: c?.requiredRoles || [],
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, c ? 'Save category' : 'Add category')),
  );
  onSubmit(form, async (v) => {
    const input = { name: v.name.trim(), slug: orNull(v.slug), description: v.description.trim(), requiredRoles: v.requiredRoles };
    if (c) {
      await gql(`mutation UpdateCategory($id: ID!, $input: UpdateCategoryInput!) { updateCategory(id: $id, input: $input) { ${CATEGORY_FIELDS} } }`, { id: c.id, input });
    } else {
      await gql(`mutation CreateCategory($input: CreateCategoryInput!) { createCategory(input: $input) { ${CATEGORY_FIELDS} } }`, { input });
    }
    flash(c ? 'Category saved.' : 'Category added.', 'success');
    onSaved();
  });
  return form;
}

async function move(categories, index, delta) {
  const ids = categories.map((c) => c.id);
  const [moved] = ids.splice(index, 1);
  ids.splice(index + delta, 0, moved);
  await gql('mutation Reorder($ids: [ID!]!) { reorderCategories(ids: $ids) { id } }', { ids });
}

export async function manageForumPage({ view }) {
  setTitle('Forum set-up');
  const data = await gql(`query ForumSetup { forumCategories { ${CATEGORY_FIELDS} } forumTags(includeRetired: true) { id name description retired } }`);
  put(view, pageHeader('Forum set-up'));

  if (session.isAdmin) {
    const cats = data.forumCategories;
    const list = cats.length
      ? h(
          'ol',
          { class: 'list' },
          cats.map((c, i) =>
            h(
              'li',
              {},
              h(
                'div',
                { class: 'row' },
                h('a', { class: 'list-title', href: `/c/${c.slug}` }, c.name),
                c.requiredRoles.length ? badge(`Only ${c.requiredRoles.map((r) => enumLabel(r)).join(', ')}`) : null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small btn-secondary',
                    disabled: i === 0,
                    'aria-label': `Move ${c.name} up`,
                    onclick: async () => {
                      try {
                        await move(cats, i, -1);
                        reload();
                      } catch (err) {
                        flash(err.message, 'error');
                      }
                    },
                  },
                  '↑',
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small btn-secondary',
                    disabled: i === cats.length - 1,
                    'aria-label': `Move ${c.name} down`,
                    onclick: async () => {
                      try {
                        await move(cats, i, 1);
                        reload();
                      } catch (err) {
                        flash(err.message, 'error');
                      }
                    },
                  },
                  '↓',
                ),
              ),
              c.description ? h('p', { class: 'meta' }, c.description) : null,
              h('details', {}, h('summary', {}, `Edit ${c.name}`), categoryForm(c, () => reload())),
            ),
          ),
        )
      : empty('No categories yet: add the first one below.');
    put(
      view,
      h('section', { class: 'card', 'aria-labelledby': 'cats-h' }, h('h2', { id: 'cats-h' }, 'Categories'), list, h('h3', {}, 'Add a category'), categoryForm(null, () => reload())),
    );
  }

  const tagForm = h(
    'form',
    { class: 'form inline-form' },
    field({ label: 'Tag name', name: 'name', required: true }),
    field({ label: 'Description', name: 'description' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add tag')),
  );
  onSubmit(tagForm, async (v) => {
    await gql('mutation CreateTag($name: String!, $description: String) { createTag(name: $name, description: $description) { id } }', { name: v.name.trim(), description: orNull(v.description) });
    flash('Tag added.', 'success');
    reload();
  });
  const tags = data.forumTags;
  put(
    view,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'tags-h' },
      h('h2', { id: 'tags-h' }, 'Tags'),
      tags.length
        ? h(
            'ul',
            { class: 'plain-list' },
            tags.map((t) =>
              h(
                'li',
                {},
                h('a', { class: 'tag', href: `/tags/${encodeURIComponent(t.name)}` }, t.name),
                t.retired ? [' ', badge('Retired')] : null,
                t.description ? ` ${t.description} ` : ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link-button',
                    onclick: async () => {
                      try {
                        await gql('mutation RetireTag($id: ID!, $retired: Boolean!) { retireTag(id: $id, retired: $retired) { id } }', { id: t.id, retired: !t.retired });
                        reload();
                      } catch (err) {
                        flash(err.message, 'error');
                      }
                    },
                  },
                  t.retired ? `Bring back ${t.name}` : `Retire ${t.name}`,
                ),
              ),
            ),
          )
        : empty('No tags yet.'),
      h('h3', {}, 'Add a tag'),
      tagForm,
    ),
  );
}
