import { engineSuite } from './engine-suite';

engineSuite('mariadb');
