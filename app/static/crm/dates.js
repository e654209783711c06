// Date fields (app/views/date_field.py): FAB's bootstrap-datepicker set up in the user's
// language and date order, opening where the field wants (years back for a birthday).
// Typing is never rewritten (forceParse off): the server reads what was typed.
(function ($) {
  "use strict";
  var source = document.getElementById("crm-date-locale");
  if (!$ || !$.fn.datepicker || !source) {
    return;
  }
  var words = JSON.parse(source.textContent);
  $.fn.datepicker.dates[words.language] = words;

  function setUp(input) {
    if (input.dataset.crmPicker) {
      return;
    }
    input.dataset.crmPicker = "1";
    var options = {
      language: words.language,
      format: input.dataset.dateFormat || words.format,
      weekStart: words.weekStart,
      autoclose: true,
      forceParse: false,
      todayHighlight: true,
      orientation: "bottom auto"
    };
    if (input.dataset.dateMinView) {
      options.minViewMode = input.dataset.dateMinView;
      options.startView = input.dataset.dateMinView;
    }
    if (input.dataset.dateStartView) {
      options.startView = input.dataset.dateStartView;
    }
    if (input.dataset.dateEndDate) {
      options.endDate = input.dataset.dateEndDate;
    }
    if (input.dataset.dateViewYear) {
      options.defaultViewDate = {year: Number(input.dataset.dateViewYear), month: 0, day: 1};
    }
    $(input).datepicker(options);
  }

  $(".crm-date input").each(function () {
    setUp(this);
  });
  // Fields added later (a list's search filters) are set up when first focused.
  $(document).on("focusin", ".crm-date input", function () {
    if (!this.dataset.crmPicker) {
      setUp(this);
      $(this).datepicker("show");
    }
  });
  $(document).on("click", ".crm-date .input-group-addon", function () {
    $(this).siblings("input").trigger("focus");
  });
})(window.jQuery);
