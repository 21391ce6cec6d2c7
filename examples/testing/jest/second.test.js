'use strict';
require('./salon-suite')('second file');
