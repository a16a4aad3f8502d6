"""What a person perceives on a page, measured in Chromium: error messages she can see, targets
too small for a finger, content cut off. Shared by the browser tests (tests/browser/
test_touch_sizes.py walks every page with them; test_browser.check_layout uses the targets).

An error element is found by what it says about itself, not from a list of ids: an ARIA alert
(role=alert or alertdialog), a field marked invalid (aria-invalid=true), or an element whose
class or id names an error or a problem (``error``, ``login-error``, ``problem``, ...). It
counts when a person can see it: rendered, not visibility:hidden or transparent, with text.
"""

from __future__ import annotations

# Everything a finger can aim at: links, buttons, fields, a <details>'s <summary>, a label that
# wraps its checkbox, and anything made clickable or focusable by hand.
TARGETS = ("a, button, .button, input:not([type=hidden]), select, textarea, summary, "
           "label:has(> input), [role=button], [role=link], [role=tab], [onclick], "
           "[tabindex]:not([tabindex='-1'])")

_VISIBLE = """
    const visible = e => {
        if (!e.getClientRects().length) return false;
        for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
            const s = getComputedStyle(n);
            if (s.visibility === 'hidden' || s.visibility === 'collapse' || parseFloat(s.opacity) === 0)
                return false;
        }
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
    };
"""

VISIBLE_ERRORS = "() => {" + _VISIBLE + r"""
    const named = /(^|[-_])(error|errors|problem|alert|danger|failed)([-_]|$)/i;
    return [...document.querySelectorAll('body *')]
        .filter(e => e.matches('[role=alert], [role=alertdialog], [aria-invalid=true]')
                     || [...e.classList].some(c => named.test(c)) || named.test(e.id || ''))
        .filter(e => visible(e) && e.innerText.trim() !== '')
        .map(e => `${e.innerText.trim().replace(/\s+/g, ' ').slice(0, 80)} <${e.tagName.toLowerCase()}`
                  + `${e.id ? ' id=' + e.id : ''} class="${e.className}">`);
}"""

SMALL_TARGETS = "(selector) => {" + _VISIBLE + """
    return [...document.querySelectorAll(selector)]
        .filter(visible)
        .filter(e => { const r = e.getBoundingClientRect(); return r.width < 48 || r.height < 48; })
        .map(e => { const r = e.getBoundingClientRect();
                    return `${Math.round(r.width)}x${Math.round(r.height)} ${e.outerHTML.slice(0, 120)}`; });
}"""

# Content cut off: an element that hides or scrolls its overflow with more inside than it shows
# (a panel that scrolls inside on purpose says so with data-scrolls), or, on a page that does not
# scroll, anything that reaches past the viewport or spills from its region (header, call band,
# main, status bar) into another: a screen taller than the room between the bars runs under them.
# Form fields scroll their own text.
CLIPPED = "(pageScrolls) => {" + _VISIBLE + """
    const found = [];
    // the page's regions (header, call band, main, status bar: the body's children in its flow)
    const regions = [...document.body.children].filter(r => visible(r)
        && ['static', 'relative', 'sticky'].includes(getComputedStyle(r).position));
    const d = document.documentElement;
    const width = d.clientWidth, height = d.clientHeight;
    for (const e of document.querySelectorAll('body *')) {
        if (!visible(e) || e.closest('input, select, textarea, svg, [data-scrolls]')) continue;
        const s = getComputedStyle(e);
        const r = e.getBoundingClientRect();
        const what = `${Math.round(r.width)}x${Math.round(r.height)} ${e.outerHTML.slice(0, 100)}`;
        if (s.overflowY !== 'visible' && e.scrollHeight > e.clientHeight + 1)
            found.push(`cut at the bottom (${e.scrollHeight} > ${e.clientHeight}): ${what}`);
        if (s.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1)
            found.push(`cut at the side (${e.scrollWidth} > ${e.clientWidth}): ${what}`);
        if (!pageScrolls && (r.bottom > height + 1 || r.right > width + 1)
                && !e.parentElement.closest('[data-scrolls]'))
            found.push(`outside the ${width}x${height} screen: ${what}`);
        // on a page that does not scroll, nothing spills out of its region into another (a
        // screen taller than the room between the bars runs under them, or over the call band)
        if (!pageScrolls && !e.closest('[data-scrolls]')) {
            const own = regions.find(g => g.contains(e));
            const into = own && regions.find(g => g !== own && (() => {
                const o = g.getBoundingClientRect();
                return r.top < o.bottom - 1 && r.bottom > o.top + 1 && r.left < o.right - 1 && r.right > o.left + 1;
            })());
            if (into) found.push(`spills into <${into.tagName.toLowerCase()} id=${into.id} class="${into.className}">: ${what}`);
        }
    }
    return found.slice(0, 12);
}"""


def visible_errors(page) -> list[str]:
    """Every error element a person can see on the page, as text and tag."""
    return page.evaluate(VISIBLE_ERRORS)


def small_targets(page) -> list[str]:
    """Every target under 48x48 CSS px that a finger can reach."""
    return page.evaluate(SMALL_TARGETS, TARGETS)


def clipped(page, page_scrolls: bool = False) -> list[str]:
    """Content cut off on the page (``page_scrolls``: the page itself may scroll down)."""
    return page.evaluate(CLIPPED, page_scrolls)
