/* CKAN's client asks /api/i18n/ for its JavaScript translations with
 * locale.replace('-', '_'), which turns "zh-Hans-CN" into "zh_Hans-CN"; the
 * API answers 400 and no JavaScript module (map filter, autocomplete,
 * confirm dialogs…) is ever initialised on the Chinese pages. This script
 * is loaded before CKAN's own; its DOMContentLoaded listener therefore runs
 * before jQuery's ready handler calls ckan.initialize(), and makes the
 * client convert every hyphen. */
document.addEventListener('DOMContentLoaded', function () {
  if (!window.ckan || !ckan.Client) { return; }
  var original = ckan.Client.prototype.getLocaleData;
  ckan.Client.prototype.getLocaleData = function (locale, success, error) {
    return original.call(this, (locale || '').replace(/-/g, '_'), success, error);
  };
});
