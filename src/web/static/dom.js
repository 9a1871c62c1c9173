// @ts-check
/**
 * An element with its properties set: el('td', { textContent: 'x' }).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Partial<HTMLElementTagNameMap[K]>} [props] @returns {HTMLElementTagNameMap[K]}
 */
export const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);
