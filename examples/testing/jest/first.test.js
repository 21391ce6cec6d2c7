'use strict';
require('./salon-suite')('first file');
