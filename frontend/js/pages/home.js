// The landing page for visitors and a starting point for members.

import { setTitle } from '../router.js';
import { session } from '../session.js';
import {
  h,
  pageHeader,
  put,
} from '../ui.js';

export function homePage({ view }) {
  setTitle('');
  put(view, 
    pageHeader('Research Commons'),
    h(
      'p',
      { class: 'lead' },
      'The community of the Researcher Workbench: share tips, get help from other researchers, find collaborators, and file your publication reports and dissemination exemption requests.',
    ),
    session.signedIn
      ? h('p', {}, `Welcome back, ${session.user.displayName}.`)
      : h(
          'p',
          { class: 'actions' },
          h('a', { class: 'btn btn-primary', href: '/sign-up' }, 'Create an account'),
          h('a', { class: 'btn', href: '/sign-in' }, 'Sign in'),
        ),
  );
}
